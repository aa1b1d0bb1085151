"""Fixtures for boot_refusals: a copy of the running glibc's library that
describes itself differently, for a program to load instead of the real
one (LD_LIBRARY_PATH). The library is the one of libc.so.6 and (before
glibc 2.34) libpthread.so.0 that defines the symbol; the copy is patched
in the symbol tables themselves:
- hide(name): the symbol's name, in every symbol table that has it
  (.dynsym and .symtab), loses its last letter, so that neither the
  loader nor a reader of the file finds it: a glibc that does not
  describe this;
- set_u32(name, index, value): the index-th 32-bit word of the symbol's
  data (a libthread_db descriptor is {bits, count, offset}) is changed: a
  glibc that describes this wrongly.
Nothing else changes, so the program runs natively as with the real one.
ELF64, little-endian (x86-64), read with struct."""
import os
import shutil
import struct

SHT_SYMTAB, SHT_NOBITS, SHT_DYNSYM = 2, 8, 11
SONAMES = {"libc": "libc.so.6", "libpthread": "libpthread.so.0"}


def _sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    out = []
    for i in range(shnum):
        (_, typ, _, addr, off, size, link, _, _, _) = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        out.append({"type": typ, "addr": addr, "off": off, "size": size, "link": link})
    return out


def _symbols(data, name):
    """(file offset of its name, value) of each definition of name."""
    secs = _sections(data)
    want = name.encode() + b"\0"
    for s in secs:
        if s["type"] not in (SHT_SYMTAB, SHT_DYNSYM):
            continue
        strtab = secs[s["link"]]
        for i in range(s["size"] // 24):
            st_name, _, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", data, s["off"] + i * 24)
            at = strtab["off"] + st_name
            if shndx != 0 and data[at:at + len(want)] == want:
                yield at, value


def _file_offset(data, vaddr):
    for s in _sections(data):
        if s["type"] != SHT_NOBITS and s["addr"] <= vaddr < s["addr"] + s["size"]:
            return s["off"] + vaddr - s["addr"]
    raise ValueError("address %#x is in no section with file contents" % vaddr)


def glibc_libraries():
    """The running glibc's libraries: {soname: path}, from this process's maps."""
    found = {}
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            base = os.path.basename(path)
            for stem, soname in SONAMES.items():
                if base.startswith(stem + ".so") or base.startswith(stem + "-"):
                    found[soname] = path
    return found


class Fixture:
    """A directory holding the patched copy; env() is what to run with."""

    def __init__(self, tmpdir, symbol):
        for soname, path in glibc_libraries().items():
            with open(path, "rb") as f:
                data = bytearray(f.read())
            if list(_symbols(data, symbol)):
                break
        else:
            raise RuntimeError("no library of glibc's defines " + symbol)
        self.data, self.symbol = data, symbol
        self.dir = tmpdir
        self.path = os.path.join(tmpdir, soname)
        self.library = path

    def hide(self):
        for at, _ in list(_symbols(self.data, self.symbol)):
            self.data[at + len(self.symbol) - 1] ^= 0x20  # last letter's case
        return self._write()

    def set_u32(self, index, value):
        for _, vaddr in _symbols(self.data, self.symbol):
            struct.pack_into("<I", self.data, _file_offset(self.data, vaddr) + 4 * index, value)
        return self._write()

    def u32(self, index):
        _, vaddr = next(_symbols(self.data, self.symbol))
        return struct.unpack_from("<I", self.data, _file_offset(self.data, vaddr) + 4 * index)[0]

    def _write(self):
        with open(self.path, "wb") as f:
            f.write(self.data)
        shutil.copymode(self.library, self.path)
        return {"LD_LIBRARY_PATH": self.dir}
