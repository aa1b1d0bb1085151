/* Asynchronous preemption keeps every register: threads run a long loop
 * without calls (regs_loop below, in assembly) that keeps its state in 12
 * general registers, the flags (carries consumed several instructions
 * after they were made, and across iterations), 8 ymm registers and 15
 * slots of the red zone below the stack pointer, while mnrt preempts them
 * by signal (1 P, more threads than Ps: meson.build sets MNRT_PROCS=1).
 * Every round starts from the same state, so every round of a thread must
 * end in the same state, bit for bit; stdout shows a hash of it, which
 * must be the native one.
 *
 * Under mnrt the threads go on with rounds until mnrt has preempted
 * threads 100 times (mnrt_get_stats): a library that never preempts them
 * hangs here (the runner's timeout), so the check cannot pass vacuously.
 * Natively each thread runs ROUNDS rounds. Without AVX2 it prints the
 * same line without running. */
#include "check.h"

#include <stdatomic.h>
#include <stdint.h>

#define THREADS 3
#define ROUNDS 2
#define ITERS 20000000L
#define WANT_PREEMPTIONS 100
#define NSTATE (12 + 15 + 4 * 8)

void regs_loop(uint64_t *state, long iters);

__asm__(".text\n"
        ".p2align 4\n"
        ".type regs_loop, @function\n"
        "regs_loop:\n"
    "pushq %rbx\n"
    "pushq %rbp\n"
    "pushq %r12\n"
    "pushq %r13\n"
    "pushq %r14\n"
    "pushq %r15\n"
    "pushq %rdi\n"
    "movq %rsi, %rcx\n"
    "movq 96(%rdi), %rax\n"
    "movq %rax, -8(%rsp)\n"
    "movq 104(%rdi), %rax\n"
    "movq %rax, -16(%rsp)\n"
    "movq 112(%rdi), %rax\n"
    "movq %rax, -24(%rsp)\n"
    "movq 120(%rdi), %rax\n"
    "movq %rax, -32(%rsp)\n"
    "movq 128(%rdi), %rax\n"
    "movq %rax, -40(%rsp)\n"
    "movq 136(%rdi), %rax\n"
    "movq %rax, -48(%rsp)\n"
    "movq 144(%rdi), %rax\n"
    "movq %rax, -56(%rsp)\n"
    "movq 152(%rdi), %rax\n"
    "movq %rax, -64(%rsp)\n"
    "movq 160(%rdi), %rax\n"
    "movq %rax, -72(%rsp)\n"
    "movq 168(%rdi), %rax\n"
    "movq %rax, -80(%rsp)\n"
    "movq 176(%rdi), %rax\n"
    "movq %rax, -88(%rsp)\n"
    "movq 184(%rdi), %rax\n"
    "movq %rax, -96(%rsp)\n"
    "movq 192(%rdi), %rax\n"
    "movq %rax, -104(%rsp)\n"
    "movq 200(%rdi), %rax\n"
    "movq %rax, -112(%rsp)\n"
    "movq 208(%rdi), %rax\n"
    "movq %rax, -120(%rsp)\n"
    "vmovdqu 216(%rdi), %ymm0\n"
    "vmovdqu 248(%rdi), %ymm1\n"
    "vmovdqu 280(%rdi), %ymm2\n"
    "vmovdqu 312(%rdi), %ymm3\n"
    "vmovdqu 344(%rdi), %ymm4\n"
    "vmovdqu 376(%rdi), %ymm5\n"
    "vmovdqu 408(%rdi), %ymm6\n"
    "vmovdqu 440(%rdi), %ymm7\n"
    "movq 0(%rdi), %rax\n"
    "movq 8(%rdi), %rbx\n"
    "movq 16(%rdi), %rdx\n"
    "movq 24(%rdi), %rsi\n"
    "movq 32(%rdi), %r8\n"
    "movq 40(%rdi), %r9\n"
    "movq 48(%rdi), %r10\n"
    "movq 56(%rdi), %r11\n"
    "movq 64(%rdi), %r12\n"
    "movq 72(%rdi), %r13\n"
    "movq 80(%rdi), %r14\n"
    "movq 88(%rdi), %r15\n"
    "1:\n"
    "add %r8, %r9\n"
    "lea 3(%r12,%r13), %r12\n"
    "mov %r12, %rdi\n"
    "adc %r10, %r11\n"
    "rol $13, %r12\n"
    "xor %r9, %r12\n"
    "cmp %r15, %r14\n"
    "lea 1(%r13,%r12), %r13\n"
    "mov %r13, %rax\n"
    "vpaddq %ymm1, %ymm0, %ymm0\n"
    "cmovb %r11, %rax\n"
    "adc $0, %rsi\n"
    "xor %rsi, %r15\n"
    "add %rax, %r14\n"
    "ror $7, %r14\n"
    "sub %rbx, %r10\n"
    "vpxor %ymm0, %ymm2, %ymm2\n"
    "sbb %rdx, %r8\n"
    "imul $0x2545f491, %rbx, %rdx\n"
    "add %r8, %rbx\n"
    "xor %r10, %rdx\n"
    "vpsllq $3, %ymm2, %ymm4\n"
    "vpaddq %ymm4, %ymm3, %ymm3\n"
    "vpsrlq $5, %ymm3, %ymm5\n"
    "vpxor %ymm5, %ymm6, %ymm6\n"
    "vpaddq %ymm6, %ymm7, %ymm7\n"
    "vpxor %ymm7, %ymm1, %ymm1\n"
    "vpermq $0x39, %ymm0, %ymm0\n"
    "vpaddq %ymm7, %ymm4, %ymm4\n"
    "vpxor %ymm4, %ymm5, %ymm5\n"
    "mov -8(%rsp), %rdi\n"
    "add %rax, %rdi\n"
    "rol $1, %rdi\n"
    "mov %rdi, -8(%rsp)\n"
    "xor %rdi, %r9\n"
    "mov -16(%rsp), %rdi\n"
    "add %rbx, %rdi\n"
    "rol $2, %rdi\n"
    "mov %rdi, -16(%rsp)\n"
    "xor %rdi, %r10\n"
    "mov -24(%rsp), %rdi\n"
    "add %rdx, %rdi\n"
    "rol $3, %rdi\n"
    "mov %rdi, -24(%rsp)\n"
    "xor %rdi, %r11\n"
    "mov -32(%rsp), %rdi\n"
    "add %rsi, %rdi\n"
    "rol $4, %rdi\n"
    "mov %rdi, -32(%rsp)\n"
    "xor %rdi, %r12\n"
    "mov -40(%rsp), %rdi\n"
    "add %r8, %rdi\n"
    "rol $5, %rdi\n"
    "mov %rdi, -40(%rsp)\n"
    "xor %rdi, %r13\n"
    "mov -48(%rsp), %rdi\n"
    "add %r9, %rdi\n"
    "rol $6, %rdi\n"
    "mov %rdi, -48(%rsp)\n"
    "xor %rdi, %r14\n"
    "mov -56(%rsp), %rdi\n"
    "add %r10, %rdi\n"
    "rol $7, %rdi\n"
    "mov %rdi, -56(%rsp)\n"
    "xor %rdi, %r15\n"
    "mov -64(%rsp), %rdi\n"
    "add %r11, %rdi\n"
    "rol $8, %rdi\n"
    "mov %rdi, -64(%rsp)\n"
    "xor %rdi, %rax\n"
    "mov -72(%rsp), %rdi\n"
    "add %r12, %rdi\n"
    "rol $9, %rdi\n"
    "mov %rdi, -72(%rsp)\n"
    "xor %rdi, %rbx\n"
    "mov -80(%rsp), %rdi\n"
    "add %r13, %rdi\n"
    "rol $10, %rdi\n"
    "mov %rdi, -80(%rsp)\n"
    "xor %rdi, %rdx\n"
    "mov -88(%rsp), %rdi\n"
    "add %r14, %rdi\n"
    "rol $11, %rdi\n"
    "mov %rdi, -88(%rsp)\n"
    "xor %rdi, %rsi\n"
    "mov -96(%rsp), %rdi\n"
    "add %r15, %rdi\n"
    "rol $12, %rdi\n"
    "mov %rdi, -96(%rsp)\n"
    "xor %rdi, %r8\n"
    "mov -104(%rsp), %rdi\n"
    "add %rax, %rdi\n"
    "rol $13, %rdi\n"
    "mov %rdi, -104(%rsp)\n"
    "xor %rdi, %r9\n"
    "mov -112(%rsp), %rdi\n"
    "add %rbx, %rdi\n"
    "rol $14, %rdi\n"
    "mov %rdi, -112(%rsp)\n"
    "xor %rdi, %r10\n"
    "mov -120(%rsp), %rdi\n"
    "add %rdx, %rdi\n"
    "rol $15, %rdi\n"
    "mov %rdi, -120(%rsp)\n"
    "xor %rdi, %r11\n"
    "dec %rcx\n"
    "jnz 1b\n"
    "movq (%rsp), %rdi\n"
    "movq %rax, 0(%rdi)\n"
    "movq %rbx, 8(%rdi)\n"
    "movq %rdx, 16(%rdi)\n"
    "movq %rsi, 24(%rdi)\n"
    "movq %r8, 32(%rdi)\n"
    "movq %r9, 40(%rdi)\n"
    "movq %r10, 48(%rdi)\n"
    "movq %r11, 56(%rdi)\n"
    "movq %r12, 64(%rdi)\n"
    "movq %r13, 72(%rdi)\n"
    "movq %r14, 80(%rdi)\n"
    "movq %r15, 88(%rdi)\n"
    "movq -8(%rsp), %rax\n"
    "movq %rax, 96(%rdi)\n"
    "movq -16(%rsp), %rax\n"
    "movq %rax, 104(%rdi)\n"
    "movq -24(%rsp), %rax\n"
    "movq %rax, 112(%rdi)\n"
    "movq -32(%rsp), %rax\n"
    "movq %rax, 120(%rdi)\n"
    "movq -40(%rsp), %rax\n"
    "movq %rax, 128(%rdi)\n"
    "movq -48(%rsp), %rax\n"
    "movq %rax, 136(%rdi)\n"
    "movq -56(%rsp), %rax\n"
    "movq %rax, 144(%rdi)\n"
    "movq -64(%rsp), %rax\n"
    "movq %rax, 152(%rdi)\n"
    "movq -72(%rsp), %rax\n"
    "movq %rax, 160(%rdi)\n"
    "movq -80(%rsp), %rax\n"
    "movq %rax, 168(%rdi)\n"
    "movq -88(%rsp), %rax\n"
    "movq %rax, 176(%rdi)\n"
    "movq -96(%rsp), %rax\n"
    "movq %rax, 184(%rdi)\n"
    "movq -104(%rsp), %rax\n"
    "movq %rax, 192(%rdi)\n"
    "movq -112(%rsp), %rax\n"
    "movq %rax, 200(%rdi)\n"
    "movq -120(%rsp), %rax\n"
    "movq %rax, 208(%rdi)\n"
    "vmovdqu %ymm0, 216(%rdi)\n"
    "vmovdqu %ymm1, 248(%rdi)\n"
    "vmovdqu %ymm2, 280(%rdi)\n"
    "vmovdqu %ymm3, 312(%rdi)\n"
    "vmovdqu %ymm4, 344(%rdi)\n"
    "vmovdqu %ymm5, 376(%rdi)\n"
    "vmovdqu %ymm6, 408(%rdi)\n"
    "vmovdqu %ymm7, 440(%rdi)\n"
    "vzeroupper\n"
    "addq $8, %rsp\n"
    "popq %r15\n"
    "popq %r14\n"
    "popq %r13\n"
    "popq %r12\n"
    "popq %rbp\n"
    "popq %rbx\n"
    "ret\n"
        ".size regs_loop, .-regs_loop\n");

static uint64_t seed_state(uint64_t *st, int t)
{
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(t + 1);
    for (int i = 0; i < NSTATE; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        st[i] = x;
    }
    return x;
}

static uint64_t hash(const uint64_t *st)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < NSTATE; i++)
        h = (h ^ st[i]) * 1099511628211ull;
    return h;
}

static uint64_t results[THREADS];

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint64_t first[NSTATE], st[NSTATE];
    for (long round = 0;; round++) {
        seed_state(st, t);
        regs_loop(st, ITERS);
        if (round == 0)
            memcpy(first, st, sizeof st);
        else if (memcmp(first, st, sizeof st) != 0) {
            for (int i = 0; i < NSTATE; i++)
                if (first[i] != st[i])
                    fprintf(stderr, "thread %d round %ld: word %d is %016llx, was %016llx\n", t,
                            round, i, (unsigned long long)st[i], (unsigned long long)first[i]);
            printf("thread %d: state corrupted in round %ld\n", t, round);
            exit(1);
        }
        long long preempted = mnrt_preemptions();
        if (round + 1 >= ROUNDS && (preempted < 0 || preempted >= WANT_PREEMPTIONS))
            break;
    }
    results[t] = hash(first);
    return NULL;
}

int main(void)
{
    if (!__builtin_cpu_supports("avx2")) {
        for (int t = 0; t < THREADS; t++)
            printf("thread %d: every round ended in the same state\n", t);
        return 0;
    }
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK_EQ(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        CHECK_EQ(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < THREADS; t++)
        printf("thread %d: every round ended in the same state %016llx\n", t,
               (unsigned long long)results[t]);
    return 0;
}
