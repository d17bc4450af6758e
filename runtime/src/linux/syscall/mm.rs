//! Memory syscalls of the Linux riscv64 ABI: brk, mmap, munmap, mprotect, mremap, madvise,
//! msync (asm-generic unistd.h 214..233; flags from asm-generic/mman-common.h and linux/mman.h),
//! on top of the guest-memory API.
//!
//! Protections follow the riscv64 kernel: PROT_WRITE implies read (RISC-V page tables have no
//! write-only pages), PROT_EXEC alone is execute-only.

use std::collections::BTreeMap;

use super::errno::*;
use super::{Args, SysResult};
use crate::linux::{Process, MMAP_MIN, MMAP_TOP};
use crate::mem::{prot, MemError, GUEST_SPACE, PAGE_SIZE};

pub const PROT_READ: u64 = 0x1;
pub const PROT_WRITE: u64 = 0x2;
pub const PROT_EXEC: u64 = 0x4;
const PROT_SEM: u64 = 0x8;
const PROT_GROWSDOWN: u64 = 0x0100_0000;
const PROT_GROWSUP: u64 = 0x0200_0000;

pub const MAP_SHARED: u64 = 0x01;
pub const MAP_PRIVATE: u64 = 0x02;
pub const MAP_SHARED_VALIDATE: u64 = 0x03;
pub const MAP_TYPE: u64 = 0x0f;
pub const MAP_FIXED: u64 = 0x10;
pub const MAP_ANONYMOUS: u64 = 0x20;
pub const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
pub const MAP_GROWSDOWN: u64 = 0x100;
pub const MAP_STACK: u64 = 0x2_0000;
/// Private anonymous mappings at least this long (other than stacks) are backed by host huge
/// pages where the host allows ([`crate::mem::GuestMemory::advise_huge`]): large heaps such as
/// malloc's mmap'd blocks. Stacks and smaller mappings keep 4 KiB pages, so that touching a
/// little of them costs little memory.
const HUGE_MIN: u64 = 2 << 20;
const MADV_HUGEPAGE: u64 = 14;
const MADV_NOHUGEPAGE: u64 = 15;

pub const MREMAP_MAYMOVE: u64 = 1;
pub const MREMAP_FIXED: u64 = 2;
pub const MREMAP_DONTUNMAP: u64 = 4;

const MADV_DONTNEED: u64 = 4;
const MADV_DONTNEED_LOCKED: u64 = 24;

const PAGE_MASK: u64 = PAGE_SIZE - 1;

/// A set of disjoint page-aligned guest ranges `[start, end)`.
#[derive(Clone, Debug, Default)]
pub struct RangeSet {
    m: BTreeMap<u64, u64>,
}

impl RangeSet {
    pub fn insert(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        self.remove(start, end);
        self.m.insert(start, end);
    }

    pub fn remove(&mut self, start: u64, end: u64) {
        let over: Vec<(u64, u64)> = self
            .m
            .range(..end)
            .rev()
            .take_while(|(_, &e)| e > start)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in over {
            self.m.remove(&s);
            if s < start {
                self.m.insert(s, start);
            }
            if e > end {
                self.m.insert(end, e);
            }
        }
    }

    pub fn intersects(&self, start: u64, end: u64) -> bool {
        // Ranges are disjoint, so ends grow with starts: only the last range starting before
        // `end` can reach past `start`.
        self.m
            .range(..end)
            .next_back()
            .is_some_and(|(_, &e)| e > start)
    }

    pub fn is_empty(&self) -> bool {
        self.m.is_empty()
    }
}

fn page_up(v: u64) -> Option<u64> {
    Some(v.checked_add(PAGE_MASK)? & !PAGE_MASK)
}

/// Guest `PROT_*` to guest-memory permission bits.
pub fn prot_bits(p: u64) -> Result<u8, Errno> {
    if p & !(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP) != 0 {
        return Err(EINVAL);
    }
    let mut b = 0;
    if p & (PROT_READ | PROT_WRITE) != 0 {
        b |= prot::READ;
    }
    if p & PROT_WRITE != 0 {
        b |= prot::WRITE;
    }
    if p & PROT_EXEC != 0 {
        b |= prot::EXEC;
    }
    Ok(b)
}

fn mem_err(e: MemError) -> Errno {
    match e {
        MemError::Host(e) => Errno::from_io(&e),
        _ => ENOMEM,
    }
}

/// Runs of pages with equal permissions in `[addr, addr+len)`: (start, len, R/W/X bits).
fn prot_runs(p: &Process, addr: u64, len: u64) -> Vec<(u64, u64, u8)> {
    let mut runs: Vec<(u64, u64, u8)> = Vec::new();
    let mut a = addr;
    while a < addr + len {
        let bits = p.mem.guest_bits(a);
        match runs.last_mut() {
            Some(r) if r.2 == bits && r.0 + r.1 == a => r.1 += PAGE_SIZE,
            _ => runs.push((a, PAGE_SIZE, bits)),
        }
        a += PAGE_SIZE;
    }
    runs
}

fn all_mapped(p: &Process, addr: u64, len: u64) -> bool {
    (addr..addr + len)
        .step_by(PAGE_SIZE as usize)
        .all(|a| p.mem.page_prot(a) & prot::MAPPED != 0)
}

fn forget_range(p: &mut Process, addr: u64, len: u64) {
    if !p.sys.file_maps.is_empty() {
        p.sys.file_maps.remove(addr, addr + len);
    }
    if !p.sys.ro_shared.is_empty() {
        p.sys.ro_shared.remove(addr, addr + len);
    }
}

/// brk: moves the program break within the heap; returns the (possibly unchanged) break.
pub fn brk(p: &mut Process, new: u64) -> u64 {
    let cur = p.brk;
    if p.brk_start == 0 || new < p.brk_start {
        return cur;
    }
    let (Some(old_top), Some(new_top)) = (page_up(cur), page_up(new)) else {
        return cur;
    };
    if new_top > old_top {
        let len = new_top - old_top;
        if !p.mem.is_free(old_top, len)
            || p.mem
                .map_anon(old_top, len, prot::READ | prot::WRITE)
                .is_err()
        {
            return cur;
        }
    } else if new_top < old_top && p.mem.unmap(new_top, old_top - new_top).is_err() {
        return cur;
    }
    p.brk = new;
    new
}

/// What a file descriptor offers to mmap.
struct FileInfo {
    size: u64,
    /// Opened for reading and writing (shared mappings can be made writable).
    rdwr: bool,
    dev: u64,
    ino: u64,
}

fn file_info(fd: i32, shared: bool, want_write: bool) -> Result<Option<FileInfo>, Errno> {
    let mut st: libc::stat = super::abi::zeroed();
    // SAFETY: host struct stat for a descriptor number.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(EBADF);
    }
    // SAFETY: integer arguments only.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl < 0 {
        return Err(EBADF);
    }
    let acc = fl & libc::O_ACCMODE;
    if acc == libc::O_WRONLY || fl & libc::O_PATH != 0 {
        return Err(EACCES);
    }
    if shared && want_write && acc != libc::O_RDWR {
        return Err(EACCES);
    }
    let rdwr = acc == libc::O_RDWR;
    match st.st_mode & libc::S_IFMT {
        libc::S_IFREG => Ok(Some(FileInfo {
            size: st.st_size as u64,
            rdwr,
            dev: st.st_dev,
            ino: st.st_ino,
        })),
        libc::S_IFBLK => Ok(Some(FileInfo {
            size: u64::MAX,
            rdwr,
            dev: st.st_dev,
            ino: st.st_ino,
        })),
        // /dev/zero (char 1:5) maps as anonymous memory.
        libc::S_IFCHR if libc::major(st.st_rdev) == 1 && libc::minor(st.st_rdev) == 5 => Ok(None),
        _ => Err(ENODEV),
    }
}

pub fn mmap(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len, prot_arg, flags, fd, off) = (a[0], a[1], a[2], a[3], a[4] as i32, a[5]);
    if len == 0 || off & PAGE_MASK != 0 {
        return Err(EINVAL);
    }
    let len = page_up(len).ok_or(ENOMEM)?;
    if len > GUEST_SPACE {
        return Err(ENOMEM);
    }
    let typ = flags & MAP_TYPE;
    if !matches!(typ, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE) {
        return Err(EINVAL);
    }
    let shared = typ != MAP_PRIVATE;
    let bits = prot_bits(prot_arg)?;
    let file = if flags & MAP_ANONYMOUS != 0 {
        None
    } else {
        if off.checked_add(len).is_none_or(|e| e > i64::MAX as u64) {
            return Err(EOVERFLOW);
        }
        file_info(fd, shared, bits & prot::WRITE != 0)?
    };

    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let addr = if fixed {
        if addr & PAGE_MASK != 0 {
            return Err(EINVAL);
        }
        if addr < MMAP_MIN {
            return Err(EPERM);
        }
        if addr.checked_add(len).is_none_or(|e| e > GUEST_SPACE) {
            return Err(ENOMEM);
        }
        if flags & MAP_FIXED == 0 && !p.mem.is_free(addr, len) {
            return Err(EEXIST);
        }
        addr
    } else {
        let hint = page_up(addr).unwrap_or(0);
        if hint >= MMAP_MIN
            && hint.checked_add(len).is_some_and(|e| e <= MMAP_TOP)
            && p.mem.is_free(hint, len)
        {
            hint
        } else {
            p.mem.find_free(len, MMAP_MIN, MMAP_TOP).ok_or(ENOMEM)?
        }
    };

    forget_range(p, addr, len);
    match file {
        None if shared => map_shared_anon(p, addr, len, bits)?,
        None => {
            p.mem.map_anon(addr, len, bits).map_err(mem_err)?;
            if !shared && len >= HUGE_MIN && flags & (MAP_STACK | MAP_GROWSDOWN) == 0 {
                // A hint: a host refusing it changes nothing the guest can see.
                let _ = p.mem.advise_huge(addr, len, true);
            }
        }
        Some(info) => {
            // A shared mapping of a read-write file is host-writable so that mprotect can
            // later add PROT_WRITE; the guest permissions are set exactly right after.
            let host_bits = if shared && info.rdwr {
                bits | prot::WRITE
            } else {
                bits
            };
            p.mem
                .map_file(addr, len, host_bits, fd, off, shared)
                .map_err(mem_err)?;
            if host_bits != bits {
                p.mem.protect(addr, len, bits).map_err(mem_err)?;
            }
            p.sys.file_maps.insert(addr, addr + len);
            if shared && !info.rdwr {
                p.sys.ro_shared.insert(addr, addr + len);
            }
            // Pages wholly past the end of the file: SIGBUS, as on Linux, until it grows.
            let file_len = page_up(info.size.saturating_sub(off)).unwrap_or(len);
            if file_len < len {
                p.mem.mark_bus(addr + file_len, len - file_len);
            }
            p.mem.note_file_map(addr, len, off, info.dev, info.ino);
        }
    }
    Ok(addr)
}

/// `MAP_SHARED | MAP_ANONYMOUS`: memory shared with the children `fork` makes (they are host
/// processes), as Linux's shmem object: a host memfd mapped shared, writable on the host so
/// that `mprotect` can add `PROT_WRITE` later. It counts as a file mapping (`MADV_DONTNEED`
/// keeps its contents, as Linux does for shared memory).
fn map_shared_anon(p: &mut Process, addr: u64, len: u64, bits: u8) -> Result<(), Errno> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: a static C string name and integer flags.
    let fd = unsafe { libc::memfd_create(c"xlate-shared-anon".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `fd` is the memfd just created, owned here (closed below).
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    // SAFETY: an open descriptor and a length.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } != 0 {
        return Err(Errno::last());
    }
    p.mem
        .map_file(addr, len, bits | prot::WRITE, fd.as_raw_fd(), 0, true)
        .map_err(mem_err)?;
    if bits & prot::WRITE == 0 {
        p.mem.protect(addr, len, bits).map_err(mem_err)?;
    }
    p.sys.file_maps.insert(addr, addr + len);
    Ok(())
}

pub fn munmap(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len) = (a[0], a[1]);
    if addr & PAGE_MASK != 0 || len == 0 {
        return Err(EINVAL);
    }
    let len = page_up(len).ok_or(EINVAL)?;
    if addr.checked_add(len).is_none_or(|e| e > GUEST_SPACE) {
        return Err(EINVAL);
    }
    p.mem.unmap(addr, len).map_err(mem_err)?;
    forget_range(p, addr, len);
    Ok(0)
}

pub fn mprotect(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len) = (a[0], a[1]);
    if addr & PAGE_MASK != 0 {
        return Err(EINVAL);
    }
    let bits = prot_bits(a[2])?;
    let len = page_up(len).ok_or(ENOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    if addr.checked_add(len).is_none_or(|e| e > GUEST_SPACE) {
        return Err(ENOMEM);
    }
    if bits & prot::WRITE != 0 && p.sys.ro_shared.intersects(addr, addr + len) {
        return Err(EACCES);
    }
    match p.mem.protect(addr, len, bits) {
        Ok(true) => Ok(0),
        Ok(false) => Err(ENOMEM),
        Err(e) => Err(mem_err(e)),
    }
}

/// Copies `len` bytes of guest memory from `src` to `dst` whatever the pages' permissions.
fn copy_pages(p: &Process, src: u64, dst: u64, len: u64) -> Result<(), Errno> {
    let runs = prot_runs(p, src, len);
    for &(s, l, bits) in &runs {
        if bits & prot::READ == 0 {
            p.mem.protect(s, l, bits | prot::READ).map_err(mem_err)?;
        }
    }
    // Pages past the end of their file (SIGBUS) are not copied: their copies read zeros.
    p.mem.recheck_bus(src, len);
    let bus = (src..src + len)
        .step_by(PAGE_SIZE as usize)
        .any(|a| p.mem.page_prot(a) & prot::BUS != 0);
    let chunk = if bus { PAGE_SIZE } else { 1 << 20 };
    let mut buf = vec![0u8; chunk.min(len) as usize];
    let mut done = 0;
    let mut res = Ok(());
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        if bus && p.mem.page_prot(src + done) & prot::BUS != 0 {
            done += n as u64;
            continue;
        }
        if let Err(e) = p.mem.read_bytes(src + done, &mut buf[..n]) {
            res = Err(e.into());
            break;
        }
        if let Err(e) = p.mem.write_bytes_force(dst + done, &buf[..n]) {
            res = Err(e.into());
            break;
        }
        done += n as u64;
    }
    for &(s, l, bits) in &runs {
        if bits & prot::READ == 0 {
            p.mem.protect(s, l, bits).map_err(mem_err)?;
        }
    }
    res
}

/// Moves the mapping `[old, old+old_len)` to `dst` with `new_len` bytes (the tail beyond the
/// old length is fresh zeroed memory with the permissions of the old last page).
fn move_mapping(
    p: &mut Process,
    old: u64,
    old_len: u64,
    dst: u64,
    new_len: u64,
    keep_old: bool,
) -> SysResult {
    let runs = prot_runs(p, old, old_len.min(new_len));
    let tail_bits = p.mem.guest_bits(old + old_len - PAGE_SIZE);
    forget_range(p, dst, new_len);
    p.mem
        .map_anon(dst, new_len, prot::READ | prot::WRITE)
        .map_err(mem_err)?;
    copy_pages(p, old, dst, old_len.min(new_len))?;
    for (s, l, bits) in runs {
        p.mem.protect(dst + (s - old), l, bits).map_err(mem_err)?;
    }
    if new_len > old_len {
        p.mem
            .protect(dst + old_len, new_len - old_len, tail_bits)
            .map_err(mem_err)?;
    }
    if keep_old {
        // MREMAP_DONTUNMAP: the old range stays mapped, empty (private anonymous semantics).
        for (s, l, bits) in prot_runs(p, old, old_len) {
            p.mem.map_anon(s, l, bits).map_err(mem_err)?;
        }
    } else {
        p.mem.unmap(old, old_len).map_err(mem_err)?;
    }
    forget_range(p, old, old_len);
    Ok(dst)
}

pub fn mremap(p: &mut Process, a: &Args) -> SysResult {
    let (old, old_len, new_len, flags, new_addr) = (a[0], a[1], a[2], a[3], a[4]);
    if old & PAGE_MASK != 0
        || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 && flags & MREMAP_MAYMOVE == 0)
    {
        return Err(EINVAL);
    }
    let (old_len, new_len) = (
        page_up(old_len).ok_or(EINVAL)?,
        page_up(new_len).ok_or(EINVAL)?,
    );
    // old_len 0 duplicates shared mappings only: not supported.
    if new_len == 0 || old_len == 0 {
        return Err(EINVAL);
    }
    if old.checked_add(old_len).is_none_or(|e| e > GUEST_SPACE) || !all_mapped(p, old, old_len) {
        return Err(EFAULT);
    }
    if flags & MREMAP_FIXED != 0 {
        if new_addr & PAGE_MASK != 0
            || new_addr
                .checked_add(new_len)
                .is_none_or(|e| e > GUEST_SPACE)
            || (new_addr < old + old_len && old < new_addr + new_len)
        {
            return Err(EINVAL);
        }
        if new_addr < MMAP_MIN {
            return Err(EPERM);
        }
        return move_mapping(
            p,
            old,
            old_len,
            new_addr,
            new_len,
            flags & MREMAP_DONTUNMAP != 0,
        );
    }
    if flags & MREMAP_DONTUNMAP == 0 {
        if new_len <= old_len {
            if new_len < old_len {
                p.mem
                    .unmap(old + new_len, old_len - new_len)
                    .map_err(mem_err)?;
                forget_range(p, old + new_len, old_len - new_len);
            }
            return Ok(old);
        }
        let (tail, grow) = (old + old_len, new_len - old_len);
        if tail.checked_add(grow).is_some_and(|e| e <= GUEST_SPACE) && p.mem.is_free(tail, grow) {
            let bits = p.mem.guest_bits(tail - PAGE_SIZE);
            p.mem.map_anon(tail, grow, bits).map_err(mem_err)?;
            return Ok(old);
        }
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(ENOMEM);
    }
    let dst = p.mem.find_free(new_len, MMAP_MIN, MMAP_TOP).ok_or(ENOMEM)?;
    move_mapping(p, old, old_len, dst, new_len, flags & MREMAP_DONTUNMAP != 0)
}

pub fn madvise(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len, advice) = (a[0], a[1], a[2]);
    if addr & PAGE_MASK != 0 {
        return Err(EINVAL);
    }
    let len = page_up(len).ok_or(EINVAL)?;
    if !matches!(advice, 0..=25 | 100 | 101) {
        return Err(EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    if addr.checked_add(len).is_none_or(|e| e > GUEST_SPACE) || !all_mapped(p, addr, len) {
        return Err(ENOMEM);
    }
    if matches!(advice, MADV_DONTNEED | MADV_DONTNEED_LOCKED)
        && !p.sys.file_maps.intersects(addr, addr + len)
    {
        // Private anonymous memory reads back as zeros after DONTNEED: remap it fresh with the
        // same permissions. (File-backed ranges keep their contents: a deviation for private
        // file mappings, whose dirty pages Linux would drop.)
        for (s, l, bits) in prot_runs(p, addr, len) {
            p.mem.map_anon(s, l, bits).map_err(mem_err)?;
        }
    }
    if matches!(advice, MADV_HUGEPAGE | MADV_NOHUGEPAGE) {
        // Passed on to the host: the guest's own choice for its memory (a hint only).
        let _ = p.mem.advise_huge(addr, len, advice == MADV_HUGEPAGE);
    }
    Ok(0)
}

pub fn msync(p: &mut Process, a: &Args) -> SysResult {
    let (addr, len, flags) = (a[0], a[1], a[2]);
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    if addr & PAGE_MASK != 0
        || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC)
    {
        return Err(EINVAL);
    }
    let len = page_up(len).ok_or(ENOMEM)?;
    if len == 0 {
        return Ok(0);
    }
    if addr.checked_add(len).is_none_or(|e| e > GUEST_SPACE) || !all_mapped(p, addr, len) {
        return Err(ENOMEM);
    }
    if p.sys.file_maps.intersects(addr, addr + len) {
        let host = p.mem.host_base().wrapping_add(addr as usize);
        // SAFETY: `host..host+len` lies inside the guest reservation (checked against
        // GUEST_SPACE) and every page is mapped; msync only writes back file pages.
        super::cvt_i(unsafe { libc::msync(host.cast(), len as usize, flags as i32) })?;
    }
    Ok(0)
}
