/* mn_lowfd_each_line (core/lowfd.c), the reader of mountinfo that
 * replaced stdio in sysmon: every line whole and without its newline, a
 * last line without one, a line longer than the buffer skipped (not cut
 * into pieces that could look like mount lines), an early stop, and a
 * file that cannot be opened. */
#include "core/lowfd.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct seen {
    int n;
    char lines[8][64];
    int stop_at; /* 1-based; 0: never */
};

static bool note(char *line, void *arg)
{
    struct seen *s = arg;
    if (s->n < 8)
        snprintf(s->lines[s->n], sizeof s->lines[0], "%s", line);
    s->n++;
    return s->n == s->stop_at;
}

/* A new file in /tmp holding text; its name goes to path (22 bytes). */
static void temp_file(char *path, const char *text)
{
    strcpy(path, "/tmp/mnrt_lowfd_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(lowfd, lines_and_last_without_newline)
{
    char path[32];
    temp_file(path, "one\n\ntwo words\nlast");
    struct seen s = {0};
    cr_assert_eq(mn_lowfd_each_line(path, note, &s), false);
    cr_assert_eq(s.n, 4);
    cr_assert_str_eq(s.lines[0], "one");
    cr_assert_str_eq(s.lines[1], "");
    cr_assert_str_eq(s.lines[2], "two words");
    cr_assert_str_eq(s.lines[3], "last");
    unlink(path);
}

Test(lowfd, long_line_skipped_whole)
{
    char path[32];
    size_t big = 3 * MN_LOWFD_LINE;
    char *text = malloc(big + 64);
    strcpy(text, "before\n");
    size_t at = strlen(text);
    for (size_t i = 0; i < big; i++)
        text[at + i] = i % 100 == 99 ? ' ' : 'x';
    strcpy(text + at + big, "\nafter\n");
    temp_file(path, text);
    free(text);
    struct seen s = {0};
    mn_lowfd_each_line(path, note, &s);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.lines[0], "before");
    cr_assert_str_eq(s.lines[1], "after");
    unlink(path);
}

Test(lowfd, stops_when_found)
{
    char path[32];
    temp_file(path, "a\nb\nc\n");
    struct seen s = {.stop_at = 2};
    cr_assert_eq(mn_lowfd_each_line(path, note, &s), true);
    cr_assert_eq(s.n, 2);
    unlink(path);
}

Test(lowfd, missing_file)
{
    struct seen s = {0};
    cr_assert_eq(mn_lowfd_each_line("/nonexistent/mnrt/file", note, &s), false);
    cr_assert_eq(s.n, 0);
}
