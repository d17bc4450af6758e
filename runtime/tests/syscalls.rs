//! Tests of the Linux riscv64 syscall layer: each test builds a process, puts arguments in the
//! guest registers as an `ecall` would and checks real results in guest and host state.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use runtime::linux::syscall::dispatch;
use runtime::linux::{Exit, Options, Process};
use runtime::mem::{host_vm_flags, prot, GuestMemory};
use translator::emit::Width;
use translator::{Cause, CpuState, Exception};

const BUF: u64 = 0x10_0000;
const BUF_LEN: u64 = 0x10000;
const RO: u64 = 0x20_0000;
const HEAP: u64 = 0x40_0000;

const EFAULT: i64 = -14;
const EINVAL: i64 = -22;
const ENOENT: i64 = -2;
const ENOSYS: i64 = -38;
const AT_FDCWD: u64 = -100i64 as u64;

fn process() -> Process {
    let mem = Arc::new(GuestMemory::new().expect("reserve guest memory"));
    mem.map_anon(BUF, BUF_LEN, prot::READ | prot::WRITE)
        .expect("map buffer");
    mem.map_anon(RO, 0x1000, prot::READ).expect("map read-only");
    let mut p = Process::new(mem, PathBuf::from("/bin/true"), Options::default());
    p.brk_start = HEAP;
    p.brk = HEAP;
    p
}

fn sys(p: &mut Process, nr: u64, args: &[u64]) -> i64 {
    let mut cpu = CpuState::default();
    cpu.x[17] = nr;
    for (i, a) in args.iter().enumerate() {
        cpu.x[10 + i] = *a;
    }
    dispatch(p, &mut cpu);
    cpu.x[10] as i64
}

fn put_str(p: &Process, addr: u64, s: &str) {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    p.mem.write_bytes(addr, &b).expect("write string");
}

fn read(p: &Process, addr: u64, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    p.mem.read_bytes(addr, &mut b).expect("read guest");
    b
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

fn temp_path(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("xlate-sys-{}-{tag}-{n}", std::process::id()))
}

fn host_pipe() -> (i32, i32) {
    let mut fds = [0i32; 2];
    // SAFETY: host array of two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    (fds[0], fds[1])
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_and_read_through_a_pipe() {
    let mut p = process();
    let (r, w) = host_pipe();
    p.mem.write_bytes(BUF, b"hello").expect("write");
    assert_eq!(sys(&mut p, 64, &[w as u64, BUF, 5]), 5);
    let mut got = [0u8; 5];
    // SAFETY: host buffer.
    assert_eq!(unsafe { libc::read(r, got.as_mut_ptr().cast(), 5) }, 5);
    assert_eq!(&got, b"hello");

    // SAFETY: host buffer.
    assert_eq!(unsafe { libc::write(w, b"xyz".as_ptr().cast(), 3) }, 3);
    assert_eq!(sys(&mut p, 63, &[r as u64, BUF + 100, 64]), 3);
    assert_eq!(read(&p, BUF + 100, 3), b"xyz");

    // writev gathers two guest buffers.
    p.mem.write_bytes(BUF + 200, b"ab").expect("write");
    p.mem.write_bytes(BUF + 300, b"cd").expect("write");
    let iov = BUF + 400;
    for (i, (base, len)) in [(BUF + 200, 2u64), (BUF + 300, 2)].iter().enumerate() {
        p.mem.write_u64(iov + i as u64 * 16, *base).expect("iov");
        p.mem.write_u64(iov + i as u64 * 16 + 8, *len).expect("iov");
    }
    assert_eq!(sys(&mut p, 66, &[w as u64, iov, 2]), 4);
    let mut got = [0u8; 4];
    // SAFETY: host buffer.
    assert_eq!(unsafe { libc::read(r, got.as_mut_ptr().cast(), 4) }, 4);
    assert_eq!(&got, b"abcd");

    // pipe2 gives two working descriptors.
    assert_eq!(sys(&mut p, 59, &[BUF + 500, 0]), 0);
    let b = read(&p, BUF + 500, 8);
    let (gr, gw) = (u32_at(&b, 0) as u64, u32_at(&b, 4) as u64);
    p.mem.write_bytes(BUF, b"q").expect("write");
    assert_eq!(sys(&mut p, 64, &[gw, BUF, 1]), 1);
    assert_eq!(sys(&mut p, 63, &[gr, BUF + 1, 1]), 1);
    assert_eq!(read(&p, BUF + 1, 1), b"q");
    for fd in [gr, gw] {
        assert_eq!(sys(&mut p, 57, &[fd]), 0);
    }
    // SAFETY: closing our own descriptors.
    unsafe {
        libc::close(r);
        libc::close(w);
    }
}

#[test]
fn openat_read_fstat_and_errors() {
    let mut p = process();
    let path = temp_path("file");
    std::fs::write(&path, b"0123456789").expect("create temp file");
    put_str(&p, BUF, path.to_str().expect("utf8"));

    let fd = sys(&mut p, 56, &[AT_FDCWD, BUF, 0, 0]);
    assert!(fd >= 0, "openat: {fd}");
    assert_eq!(sys(&mut p, 63, &[fd as u64, BUF + 0x1000, 100]), 10);
    assert_eq!(read(&p, BUF + 0x1000, 10), b"0123456789");
    assert_eq!(sys(&mut p, 67, &[fd as u64, BUF + 0x1000, 3, 4]), 3);
    assert_eq!(read(&p, BUF + 0x1000, 3), b"456");
    assert_eq!(sys(&mut p, 62, &[fd as u64, 2, 0]), 2);

    // fstat: riscv64 struct stat, st_mode at 16, st_size at 48, st_blksize at 56.
    assert_eq!(sys(&mut p, 80, &[fd as u64, BUF + 0x2000]), 0);
    let st = read(&p, BUF + 0x2000, 128);
    assert_eq!(u64_at(&st, 48), 10);
    assert_eq!(u32_at(&st, 16) & libc::S_IFMT, libc::S_IFREG);
    assert_eq!(u32_at(&st, 16) & 0o777, 0o644 & !umask());
    assert!(u32_at(&st, 56) >= 512);
    assert_eq!(u32_at(&st, 20), 1, "st_nlink");

    // newfstatat on the path gives the same inode.
    assert_eq!(sys(&mut p, 79, &[AT_FDCWD, BUF, BUF + 0x3000, 0]), 0);
    let st2 = read(&p, BUF + 0x3000, 128);
    assert_eq!(u64_at(&st2, 8), u64_at(&st, 8));
    assert_eq!(u64_at(&st2, 48), 10);

    // statx: stx_size at 0x28, stx_mode at 0x1c.
    assert_eq!(
        sys(&mut p, 291, &[AT_FDCWD, BUF, 0, 0xfff, BUF + 0x4000]),
        0
    );
    let sx = read(&p, BUF + 0x4000, 256);
    assert_eq!(u64_at(&sx, 0x28), 10);
    assert_eq!(
        u16::from_le_bytes([sx[0x1c], sx[0x1d]]) as u32 & libc::S_IFMT,
        libc::S_IFREG
    );

    // Bad pointers are EFAULT, never a crash: unmapped, read-only, wrapping.
    assert_eq!(sys(&mut p, 63, &[fd as u64, 0x5000_0000, 10]), EFAULT);
    assert_eq!(sys(&mut p, 63, &[fd as u64, RO, 10]), EFAULT);
    assert_eq!(sys(&mut p, 64, &[1, u64::MAX - 2, 10]), EFAULT);
    assert_eq!(sys(&mut p, 80, &[fd as u64, RO]), EFAULT);
    assert_eq!(sys(&mut p, 56, &[AT_FDCWD, 0x5000_0000, 0, 0]), EFAULT);
    assert_eq!(sys(&mut p, 57, &[fd as u64]), 0);
    assert_eq!(sys(&mut p, 57, &[fd as u64]), -9, "EBADF");

    put_str(&p, BUF, "/nonexistent/xlate/file");
    assert_eq!(sys(&mut p, 56, &[AT_FDCWD, BUF, 0, 0]), ENOENT);
    std::fs::remove_file(&path).expect("cleanup");
}

fn umask() -> u32 {
    // SAFETY: reading and restoring the process umask.
    unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    }
}

#[test]
fn unknown_syscalls_are_enosys() {
    let mut p = process();
    assert_eq!(sys(&mut p, 999, &[1, 2, 3]), ENOSYS);
    assert_eq!(sys(&mut p, 38, &[]), ENOSYS, "no renameat on riscv64");
    assert_eq!(sys(&mut p, 293, &[0, 0, 0, 0]), ENOSYS, "rseq");
    assert!(p.exit.is_none());
}

#[test]
fn brk_grows_and_shrinks() {
    let mut p = process();
    assert_eq!(sys(&mut p, 214, &[0]) as u64, HEAP);
    let top = HEAP + 0x3000 + 123;
    assert_eq!(sys(&mut p, 214, &[top]) as u64, top);
    p.mem
        .store(HEAP + 0x3000, 7, Width::D)
        .expect("heap usable");
    p.mem.store(HEAP, 1, Width::D).expect("heap usable");
    // Shrinking unmaps whole pages above the new break.
    assert_eq!(sys(&mut p, 214, &[HEAP + 0x1000]) as u64, HEAP + 0x1000);
    assert!(p.mem.load(HEAP + 0x1000, Width::B).is_err());
    assert_eq!(p.mem.load(HEAP, Width::D), Ok(1));
    // Below the start: refused, the current break is returned.
    assert_eq!(sys(&mut p, 214, &[HEAP - 0x1000]) as u64, HEAP + 0x1000);
    // Into an existing mapping: refused.
    p.mem
        .map_anon(HEAP + 0x10000, 0x1000, prot::READ)
        .expect("map");
    assert_eq!(sys(&mut p, 214, &[HEAP + 0x20000]) as u64, HEAP + 0x1000);
}

const PROT_RW: u64 = 3;
const MAP_PRIVATE_ANON: u64 = 0x22;

#[test]
fn mmap_munmap_mprotect_mremap() {
    let mut p = process();
    let a = sys(
        &mut p,
        222,
        &[0, 0x3000, PROT_RW, MAP_PRIVATE_ANON, u64::MAX, 0],
    ) as u64;
    let b = sys(
        &mut p,
        222,
        &[0, 0x1000, PROT_RW, MAP_PRIVATE_ANON, u64::MAX, 0],
    ) as u64;
    assert_eq!(a & 0xfff, 0);
    assert_eq!(b & 0xfff, 0);
    assert!(b + 0x1000 <= a || a + 0x3000 <= b, "{a:#x} {b:#x} overlap");
    assert!(read(&p, a, 0x3000).iter().all(|&x| x == 0));
    p.mem.write_bytes(a, b"data").expect("writable");

    // len 0 and unaligned fixed addresses are EINVAL.
    assert_eq!(
        sys(&mut p, 222, &[0, 0, PROT_RW, MAP_PRIVATE_ANON, u64::MAX, 0]),
        EINVAL
    );
    assert_eq!(
        sys(
            &mut p,
            222,
            &[a + 1, 0x1000, PROT_RW, MAP_PRIVATE_ANON | 0x10, u64::MAX, 0]
        ),
        EINVAL
    );
    // MAP_FIXED_NOREPLACE over a mapping is EEXIST.
    assert_eq!(
        sys(
            &mut p,
            222,
            &[
                a,
                0x1000,
                PROT_RW,
                MAP_PRIVATE_ANON | 0x10_0000,
                u64::MAX,
                0
            ]
        ),
        -17
    );
    // MAP_FIXED replaces with fresh zero pages.
    assert_eq!(
        sys(
            &mut p,
            222,
            &[a, 0x1000, PROT_RW, MAP_PRIVATE_ANON | 0x10, u64::MAX, 0]
        ) as u64,
        a
    );
    assert_eq!(read(&p, a, 4), [0; 4]);

    // mprotect read-only: loads work, stores fault.
    p.mem.store(a + 0x1000, 0x55, Width::B).expect("store");
    assert_eq!(sys(&mut p, 226, &[a + 0x1000, 0x1000, 1]), 0);
    assert_eq!(p.mem.load(a + 0x1000, Width::B), Ok(0x55));
    assert!(p.mem.store(a + 0x1000, 1, Width::B).is_err());
    assert_eq!(sys(&mut p, 226, &[a + 1, 0x1000, 1]), EINVAL);

    // munmap: the range faults afterwards.
    assert_eq!(sys(&mut p, 215, &[b, 0x1000]), 0);
    assert!(p.mem.load(b, Width::B).is_err());
    assert_eq!(sys(&mut p, 226, &[b, 0x1000, 1]), -12, "ENOMEM on unmapped");

    // mremap grows (moving if it must) and keeps the contents and permissions.
    p.mem.write_bytes(a + 0x2000, b"keep").expect("write");
    let n = sys(&mut p, 216, &[a, 0x3000, 0x10_0000, 1, 0]) as u64;
    assert_eq!(n & 0xfff, 0);
    assert_eq!(read(&p, n + 0x2000, 4), b"keep");
    assert_eq!(p.mem.load(n + 0x1000, Width::B), Ok(0x55));
    assert!(
        p.mem.store(n + 0x1000, 1, Width::B).is_err(),
        "still read-only"
    );
    p.mem
        .store(n + 0xf_f000, 1, Width::B)
        .expect("grown part writable");
    if n != a {
        assert!(p.mem.load(a, Width::B).is_err(), "old range unmapped");
    }
    // Without MAYMOVE a blocked grow is ENOMEM.
    p.mem
        .map_anon(n + 0x10_0000, 0x1000, prot::READ)
        .expect("blocker");
    assert_eq!(sys(&mut p, 216, &[n, 0x10_0000, 0x20_0000, 0, 0]), -12);
    // Shrinking in place.
    assert_eq!(sys(&mut p, 216, &[n, 0x10_0000, 0x1000, 0, 0]) as u64, n);
    assert!(p.mem.load(n + 0x1000, Width::B).is_err());

    // madvise(DONTNEED) zeroes private anonymous memory.
    p.mem.write_bytes(n, b"gone").expect("write");
    assert_eq!(sys(&mut p, 233, &[n, 0x1000, 4]), 0);
    assert_eq!(read(&p, n, 4), [0; 4]);
}

#[test]
fn large_anonymous_mappings_get_host_huge_pages_and_stacks_do_not() {
    const MAP_STACK: u64 = 0x2_0000;
    let mut p = process();
    let flags = |p: &Process, a: u64| -> Vec<String> {
        host_vm_flags(p.mem.host_base() as u64 + a).expect("a host mapping holds the address")
    };
    // A 4 MiB heap block: huge pages advised ("hg"), contents still zero and writable.
    let big = sys(
        &mut p,
        222,
        &[0, 4 << 20, PROT_RW, MAP_PRIVATE_ANON, u64::MAX, 0],
    ) as u64;
    assert_eq!(big & 0xfff, 0, "{big:#x}");
    assert!(
        flags(&p, big).contains(&"hg".into()),
        "{:?}",
        flags(&p, big)
    );
    assert!(read(&p, big + (3 << 20), 16).iter().all(|&x| x == 0));
    p.mem
        .write_bytes(big + (3 << 20), b"huge")
        .expect("writable");
    assert_eq!(read(&p, big + (3 << 20), 4), b"huge");
    // A thread stack of the same size and a small block keep small pages.
    let stack = sys(
        &mut p,
        222,
        &[
            0,
            4 << 20,
            PROT_RW,
            MAP_PRIVATE_ANON | MAP_STACK,
            u64::MAX,
            0,
        ],
    ) as u64;
    assert!(
        !flags(&p, stack).contains(&"hg".into()),
        "{:?}",
        flags(&p, stack)
    );
    let small = sys(
        &mut p,
        222,
        &[0, 1 << 20, PROT_RW, MAP_PRIVATE_ANON, u64::MAX, 0],
    ) as u64;
    assert!(
        !flags(&p, small).contains(&"hg".into()),
        "{:?}",
        flags(&p, small)
    );
    // The guest's own advice reaches the host: MADV_NOHUGEPAGE (15), MADV_HUGEPAGE (14).
    assert_eq!(sys(&mut p, 233, &[big, 1 << 20, 15]), 0);
    assert!(
        flags(&p, big).contains(&"nh".into()),
        "{:?}",
        flags(&p, big)
    );
    assert_eq!(sys(&mut p, 233, &[small, 1 << 20, 14]), 0);
    assert!(
        flags(&p, small).contains(&"hg".into()),
        "{:?}",
        flags(&p, small)
    );
    assert_eq!(read(&p, big + (3 << 20), 4), b"huge");
}

#[test]
fn mmap_of_a_file() {
    let mut p = process();
    let path = temp_path("map");
    std::fs::write(&path, b"file contents").expect("create");
    put_str(&p, BUF, path.to_str().expect("utf8"));
    let fd = sys(&mut p, 56, &[AT_FDCWD, BUF, 0, 0]) as u64;
    let a = sys(&mut p, 222, &[0, 0x2000, 1, 2, fd, 0]) as u64;
    assert_eq!(a & 0xfff, 0, "{a:#x}");
    assert_eq!(read(&p, a, 13), b"file contents");
    assert_eq!(read(&p, a + 13, 3), [0; 3]);
    // The page wholly past the end of the file faults (SIGBUS, as on Linux), never the host.
    assert_eq!(
        p.mem.load(a + 0x1000, Width::D),
        Err(Exception::new(Cause::LoadAccessFault, a + 0x1000))
    );
    assert!(p.mem.store(a, 1, Width::B).is_err(), "PROT_READ only");
    // Unaligned offset and bad descriptor.
    assert_eq!(sys(&mut p, 222, &[0, 0x1000, 1, 2, fd, 1]), EINVAL);
    assert_eq!(sys(&mut p, 222, &[0, 0x1000, 1, 2, 9999, 0]), -9);
    // Shared mapping of a read-only descriptor cannot become writable.
    let s = sys(&mut p, 222, &[0, 0x1000, 1, 1, fd, 0]) as u64;
    assert_eq!(read(&p, s, 4), b"file");
    assert_eq!(sys(&mut p, 226, &[s, 0x1000, 3]), -13, "EACCES");
    assert_eq!(sys(&mut p, 57, &[fd]), 0);
    std::fs::remove_file(&path).expect("cleanup");
}

/// Pages of a file mapping wholly past the end of the file fault (the guest's SIGBUS) and
/// never reach the host, whose own SIGBUS would end xlate: past the end when mapped, after
/// the guest shrinks the file (ftruncate, truncate, O_TRUNC), and not once it grows again.
#[test]
fn file_pages_past_the_end_fault_as_bus_errors() {
    let mut p = process();
    let path = temp_path("bus");
    std::fs::write(&path, vec![7u8; 0x2000]).expect("create");
    put_str(&p, BUF, path.to_str().expect("utf8"));
    let fd = sys(&mut p, 56, &[AT_FDCWD, BUF, 2, 0]) as u64; // O_RDWR
    let bus = |a: u64| Err(Exception::new(Cause::LoadAccessFault, a));
    for shared in [1u64, 2] {
        // Three pages of a two-page file: the third is past the end.
        let a = sys(&mut p, 222, &[0, 0x3000, 3, shared, fd, 0]) as u64;
        assert_eq!(a & 0xfff, 0, "{a:#x}");
        assert_eq!(p.mem.load(a + 0x1ff8, Width::D), Ok(0x0707_0707_0707_0707));
        assert_eq!(p.mem.load(a + 0x2000, Width::B), bus(a + 0x2000));
        assert_eq!(
            p.mem.store(a + 0x2008, 1, Width::D),
            Err(Exception::new(Cause::StoreAccessFault, a + 0x2008))
        );
        // A page-crossing load faults at the first byte past the end.
        assert_eq!(p.mem.load(a + 0x1ffc, Width::D), bus(a + 0x2000));
        // System calls get EFAULT there.
        assert_eq!(sys(&mut p, 64, &[1, a + 0x2000, 1]), EFAULT);
        assert_eq!(sys(&mut p, 63, &[fd, a + 0x2000, 1]), EFAULT);
        // The file grows (a write past its end): the page is readable at its next access.
        put_str(&p, BUF, "x");
        assert_eq!(sys(&mut p, 68, &[fd, BUF, 1, 0x2100]), 1);
        assert_eq!(p.mem.load(a + 0x2100, Width::B), Ok(b'x' as u64));
        // mprotect keeps a page past the end so.
        assert_eq!(sys(&mut p, 46, &[fd, 0x1000]), 0);
        assert_eq!(p.mem.load(a + 0x1000, Width::B), bus(a + 0x1000));
        assert_eq!(sys(&mut p, 226, &[a, 0x3000, 1]), 0);
        assert_eq!(p.mem.load(a + 0x1000, Width::B), bus(a + 0x1000));
        assert_eq!(p.mem.load(a, Width::B), Ok(7));
        assert_eq!(sys(&mut p, 226, &[a, 0x3000, 3]), 0);
        // Grown back by ftruncate: zeros, and writable again.
        assert_eq!(sys(&mut p, 46, &[fd, 0x3000]), 0);
        assert_eq!(p.mem.load(a + 0x1000, Width::D), Ok(0));
        assert_eq!(p.mem.store(a + 0x2008, 5, Width::D), Ok(()));
        assert_eq!(p.mem.load(a + 0x2008, Width::D), Ok(5));
        // truncate(path) and an O_TRUNC open shrink it too.
        put_str(&p, BUF, path.to_str().expect("utf8"));
        assert_eq!(sys(&mut p, 45, &[BUF, 0x1000]), 0);
        assert_eq!(p.mem.load(a + 0x1008, Width::B), bus(a + 0x1008));
        // Even a page a private mapping copied on a store: truncation drops private copies
        // past the new end too (Linux's truncate_pagecache).
        assert_eq!(p.mem.store(a, 9, Width::B), Ok(()));
        let t = sys(&mut p, 56, &[AT_FDCWD, BUF, 2 | 0x200, 0]); // O_RDWR | O_TRUNC
        assert!(t >= 0, "open: {t}");
        assert_eq!(p.mem.load(a, Width::B), bus(a));
        assert_eq!(sys(&mut p, 57, &[t as u64]), 0);
        // mremap moves such a mapping (as a copy: the pages past the end read zeros there,
        // where Linux would still raise SIGBUS).
        let to = 0x5000_0000;
        let m = sys(&mut p, 216, &[a, 0x3000, 0x4000, 3, to]); // MREMAP_MAYMOVE | FIXED
        assert_eq!(m, to as i64, "mremap");
        assert_eq!(p.mem.load(m as u64 + 0x1008, Width::B), Ok(0));
        assert_eq!(sys(&mut p, 215, &[m as u64, 0x4000]), 0);
        std::fs::write(&path, vec![7u8; 0x2000]).expect("refill");
    }
    assert_eq!(sys(&mut p, 57, &[fd]), 0);
    std::fs::remove_file(&path).expect("cleanup");
}

#[test]
fn memfd_create_makes_an_anonymous_file() {
    let mut p = process();
    put_str(&p, BUF, "xlate-test");
    // MFD_CLOEXEC (1): the flags pass through.
    let fd = sys(&mut p, 279, &[BUF, 1]);
    assert!(fd >= 0, "memfd_create: {fd}");
    let fd = fd as u64;
    assert_eq!(sys(&mut p, 25, &[fd, 1]), 1, "F_GETFD: FD_CLOEXEC");
    put_str(&p, BUF, "hello");
    assert_eq!(sys(&mut p, 64, &[fd, BUF, 5]), 5);
    assert_eq!(sys(&mut p, 67, &[fd, BUF + 0x100, 5, 0]), 5);
    assert_eq!(read(&p, BUF + 0x100, 5), b"hello");
    // Its name labels it in /proc/self/fd.
    put_str(&p, BUF, &format!("/proc/self/fd/{fd}"));
    let n = sys(&mut p, 78, &[AT_FDCWD, BUF, BUF + 0x100, 100]);
    assert_eq!(
        String::from_utf8_lossy(&read(&p, BUF + 0x100, n.max(0) as usize)),
        "/memfd:xlate-test (deleted)"
    );
    // Mapped shared, its pages can change other than through guest stores: fence.i drops
    // decoded code from then on.
    assert!(!p.mem.aliased());
    let a = sys(&mut p, 222, &[0, 0x1000, 3, 1, fd, 0]) as u64;
    assert_eq!(a & 0xfff, 0, "{a:#x}");
    assert_eq!(read(&p, a, 5), b"hello");
    assert!(p.mem.aliased());
    assert_eq!(sys(&mut p, 57, &[fd]), 0);
    // Names are at most 249 bytes (MFD_NAME_MAX_LEN); unknown flags are refused.
    put_str(&p, BUF, &"n".repeat(250));
    assert_eq!(sys(&mut p, 279, &[BUF, 0]), EINVAL);
    put_str(&p, BUF, "x");
    assert_eq!(sys(&mut p, 279, &[BUF, 0x8000_0000]), EINVAL);
    assert_eq!(sys(&mut p, 279, &[0x5000_0000, 0]), EFAULT);
}

#[test]
fn uname_reports_riscv64() {
    let mut p = process();
    assert_eq!(sys(&mut p, 160, &[BUF]), 0);
    let u = read(&p, BUF, 390);
    assert_eq!(&u[..6], b"Linux\0");
    assert_eq!(&u[4 * 65..4 * 65 + 8], b"riscv64\0");
    assert_eq!(sys(&mut p, 160, &[RO]), EFAULT);
}

#[test]
fn clock_gettime_is_monotonic() {
    let mut p = process();
    assert_eq!(sys(&mut p, 113, &[1, BUF]), 0);
    let t0 = read(&p, BUF, 16);
    assert_eq!(sys(&mut p, 113, &[1, BUF + 16]), 0);
    let t1 = read(&p, BUF + 16, 16);
    let ns = |b: &[u8]| u64_at(b, 0) as u128 * 1_000_000_000 + u64_at(b, 8) as u128;
    assert!(ns(&t1) >= ns(&t0));
    assert!(u64_at(&t0, 8) < 1_000_000_000);
    assert_eq!(sys(&mut p, 113, &[0, BUF]), 0);
    assert!(
        u64_at(&read(&p, BUF, 8), 0) > 1_600_000_000,
        "realtime is wall clock"
    );
    assert_eq!(sys(&mut p, 113, &[1, 0x5000_0000]), EFAULT);
    assert_eq!(sys(&mut p, 113, &[12345, BUF]), EINVAL);
}

#[test]
fn getdents64_lists_a_directory() {
    let mut p = process();
    let dir = temp_path("dir");
    std::fs::create_dir(&dir).expect("mkdir");
    for n in ["alpha", "beta"] {
        std::fs::write(dir.join(n), b"x").expect("file");
    }
    put_str(&p, BUF, dir.to_str().expect("utf8"));
    let fd = sys(&mut p, 56, &[AT_FDCWD, BUF, 0o200000, 0]) as u64;
    let mut names = Vec::new();
    loop {
        let n = sys(&mut p, 61, &[fd, BUF + 0x1000, 0x1000]);
        assert!(n >= 0, "getdents64: {n}");
        if n == 0 {
            break;
        }
        let b = read(&p, BUF + 0x1000, n as usize);
        let mut off = 0;
        while off < b.len() {
            let reclen = u16::from_le_bytes([b[off + 16], b[off + 17]]) as usize;
            let name = &b[off + 19..off + reclen];
            let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
            names.push(String::from_utf8_lossy(&name[..end]).into_owned());
            off += reclen;
        }
    }
    names.sort();
    assert_eq!(names, [".", "..", "alpha", "beta"]);
    assert_eq!(sys(&mut p, 57, &[fd]), 0);

    // mkdirat, unlinkat and renameat2 relative to a directory descriptor.
    let dfd = sys(&mut p, 56, &[AT_FDCWD, BUF, 0o200000, 0]) as u64;
    put_str(&p, BUF + 0x100, "sub");
    assert_eq!(sys(&mut p, 34, &[dfd, BUF + 0x100, 0o755]), 0);
    assert!(dir.join("sub").is_dir());
    assert_eq!(sys(&mut p, 34, &[dfd, BUF + 0x100, 0o755]), -17, "EEXIST");
    assert_eq!(sys(&mut p, 35, &[dfd, BUF + 0x100, 0x200]), 0);
    assert!(!dir.join("sub").exists());
    put_str(&p, BUF + 0x100, "alpha");
    put_str(&p, BUF + 0x200, "gamma");
    assert_eq!(
        sys(&mut p, 276, &[dfd, BUF + 0x100, dfd, BUF + 0x200, 0]),
        0
    );
    assert!(dir.join("gamma").exists());
    assert_eq!(sys(&mut p, 35, &[dfd, BUF + 0x100, 0]), ENOENT);
    assert_eq!(sys(&mut p, 57, &[dfd]), 0);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn rt_sigaction_round_trip() {
    let mut p = process();
    let (act, old) = (BUF, BUF + 0x100);
    p.mem.write_u64(act, 0x1234).expect("handler");
    p.mem.write_u64(act + 8, 0x4000_0000).expect("flags");
    // Bit n-1 is signal n: SIGKILL (9) is bit 8.
    p.mem.write_u64(act + 16, 1 << 8 | 1 << 1).expect("mask");
    assert_eq!(sys(&mut p, 134, &[10, act, 0, 8]), 0);
    assert_eq!(sys(&mut p, 134, &[10, 0, old, 8]), 0);
    let o = read(&p, old, 24);
    assert_eq!(u64_at(&o, 0), 0x1234);
    assert_eq!(u64_at(&o, 8), 0x4000_0000);
    assert_eq!(u64_at(&o, 16), 1 << 1, "SIGKILL cannot be masked");
    assert_eq!(sys(&mut p, 134, &[9, act, 0, 8]), EINVAL, "SIGKILL");
    assert_eq!(sys(&mut p, 134, &[19, act, 0, 8]), EINVAL, "SIGSTOP");
    assert_eq!(
        sys(&mut p, 134, &[9, 0, old, 8]),
        0,
        "querying SIGKILL is fine"
    );
    assert_eq!(sys(&mut p, 134, &[65, act, 0, 8]), EINVAL);
    assert_eq!(sys(&mut p, 134, &[10, act, 0, 16]), EINVAL, "sigsetsize");
    assert_eq!(sys(&mut p, 134, &[10, 0x5000_0000, 0, 8]), EFAULT);

    // rt_sigprocmask records the mask.
    p.mem.write_u64(BUF + 0x200, 1 << 1).expect("set");
    assert_eq!(sys(&mut p, 135, &[0, BUF + 0x200, 0, 8]), 0);
    assert_eq!(sys(&mut p, 135, &[0, 0, BUF + 0x208, 8]), 0);
    assert_eq!(p.mem.read_u64(BUF + 0x208), Ok(1 << 1));
}

#[test]
fn exit_group_sets_the_exit_status() {
    let mut p = process();
    sys(&mut p, 94, &[0x1_2a]);
    assert_eq!(p.exit, Some(Exit::Code(0x2a)));
    let mut p = process();
    sys(&mut p, 93, &[3]);
    assert_eq!(p.exit, Some(Exit::Code(3)));
    // A signal sent to itself is delivered by the run loop, not by the syscall: here a
    // guest-only signal (SIGSEGV) is queued (others go through the host kernel; their
    // default actions are checked by the sig_die guest cases and tests/signals.rs).
    let mut p = process();
    let pid = std::process::id() as u64;
    let tid = runtime::linux::signal::gettid() as u64;
    assert_eq!(sys(&mut p, 131, &[pid, tid, 0]), 0, "signal 0 only checks");
    assert!(p.exit.is_none());
    assert!(!runtime::linux::signal::deliverable(&p));
    sys(&mut p, 131, &[pid, tid, 11]);
    assert!(p.exit.is_none());
    assert!(runtime::linux::signal::deliverable(&p));
}

#[test]
fn identity_and_misc() {
    let mut p = process();
    assert_eq!(sys(&mut p, 172, &[]) as u32, std::process::id());
    // gettid and set_tid_address give the calling thread's id (a guest thread runs on its own
    // host thread; this test runs on one of the test harness's threads).
    // SAFETY: plain getter.
    let tid = unsafe { libc::gettid() } as u32;
    assert_eq!(sys(&mut p, 178, &[]) as u32, tid);
    assert_eq!(sys(&mut p, 96, &[BUF]) as u32, tid);
    // SAFETY: plain getter.
    assert_eq!(sys(&mut p, 174, &[]) as u32, unsafe { libc::getuid() });
    // getrandom fills the buffer.
    assert_eq!(sys(&mut p, 278, &[BUF, 64, 0]), 64);
    assert!(read(&p, BUF, 64).iter().any(|&b| b != 0));
    // prlimit64 RLIMIT_NOFILE.
    assert_eq!(sys(&mut p, 261, &[0, 7, 0, BUF]), 0);
    let rl = read(&p, BUF, 16);
    assert!(u64_at(&rl, 0) > 0 && u64_at(&rl, 0) <= u64_at(&rl, 8));
    // prctl name round trip.
    put_str(&p, BUF, "worker");
    assert_eq!(sys(&mut p, 167, &[15, BUF]), 0);
    assert_eq!(sys(&mut p, 167, &[16, BUF + 0x100]), 0);
    assert_eq!(&read(&p, BUF + 0x100, 7), b"worker\0");
    // readlinkat(/proc/self/exe) is the guest program.
    put_str(&p, BUF, "/proc/self/exe");
    let n = sys(&mut p, 78, &[AT_FDCWD, BUF, BUF + 0x200, 256]);
    let exe = std::fs::canonicalize("/bin/true").expect("canonical");
    assert_eq!(n as usize, exe.as_os_str().len());
    assert_eq!(
        read(&p, BUF + 0x200, n as usize),
        exe.as_os_str().as_encoded_bytes()
    );
    // getcwd.
    let n = sys(&mut p, 17, &[BUF, 4096]);
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(n as usize, cwd.as_os_str().len() + 1);
    assert_eq!(sys(&mut p, 17, &[BUF, 1]), -34, "ERANGE");
    // riscv_flush_icache: nothing more to drop while every store into decoded code is seen
    // (the store raised the flag itself); once memory may change unseen (a shared mapping,
    // /proc/self/mem), everything.
    assert_eq!(sys(&mut p, 259, &[0, 0, 0]), 0);
    assert!(!p.mem.take_code_dirty());
    p.mem.note_alias();
    assert_eq!(sys(&mut p, 259, &[0, 0, 0]), 0);
    assert!(p.mem.take_code_dirty());
    // riscv_hwprobe: base behaviour IMA, unknown keys get -1.
    p.mem.write_u64(BUF, 3).expect("key");
    p.mem.write_u64(BUF + 16, 999).expect("key");
    assert_eq!(sys(&mut p, 258, &[BUF, 2, 0, 0, 0]), 0);
    assert_eq!(p.mem.read_u64(BUF + 8), Ok(1));
    assert_eq!(p.mem.read_u64(BUF + 16), Ok(u64::MAX));
    // sysinfo: mem_unit at offset 104 is non-zero.
    assert_eq!(sys(&mut p, 179, &[BUF]), 0);
    assert!(u32_at(&read(&p, BUF, 112), 104) >= 1);
}

#[test]
fn strace_lines() {
    let mut p = process();
    p.opts.strace = true;
    let sink = Sink::default();
    p.strace_out = Some(Box::new(sink.clone()));
    put_str(&p, BUF, "/nonexistent/xlate");
    assert_eq!(sys(&mut p, 56, &[AT_FDCWD, BUF, 0o2000000, 0]), ENOENT);
    assert_eq!(sys(&mut p, 999, &[1, 2, 3, 4, 5, 6]), ENOSYS);
    p.mem.write_bytes(BUF + 0x100, b"hi\n").expect("write");
    let (_r, w) = host_pipe();
    assert_eq!(sys(&mut p, 64, &[w as u64, BUF + 0x100, 3]), 3);
    sys(&mut p, 94, &[0]);
    let out = String::from_utf8(sink.0.lock().expect("lock").clone()).expect("utf8");
    let lines: Vec<&str> = out
        .lines()
        .map(|l| l.split_once(' ').expect("pid").1)
        .collect();
    assert_eq!(
        lines[0],
        "openat(AT_FDCWD, \"/nonexistent/xlate\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)"
    );
    assert_eq!(
        lines[1],
        "syscall_999(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)"
    );
    assert_eq!(lines[2], format!("write({w}, \"hi\\n\", 3) = 3"));
    assert_eq!(lines[3], "exit_group(0) = ?");
    assert_eq!(out.lines().last(), Some("+++ exited with 0 +++"));
}

#[test]
fn no_strace_output_when_off() {
    let mut p = process();
    let sink = Sink::default();
    p.strace_out = Some(Box::new(sink.clone()));
    sys(&mut p, 172, &[]);
    assert!(sink.0.lock().expect("lock").is_empty());
}

#[test]
fn fcntl_ioctl_and_limits() {
    let mut p = process();
    let (r, w) = host_pipe();
    // F_SETFD / F_GETFD round trip; F_GETFL reports O_WRONLY.
    assert_eq!(sys(&mut p, 25, &[w as u64, 2, 1]), 0);
    assert_eq!(sys(&mut p, 25, &[w as u64, 1, 0]), 1);
    assert_eq!(sys(&mut p, 25, &[w as u64, 3, 0]) & 3, 1);
    let d = sys(&mut p, 25, &[w as u64, 1030, 100]);
    assert!(d >= 100, "F_DUPFD_CLOEXEC: {d}");
    assert_eq!(sys(&mut p, 57, &[d as u64]), 0);
    assert_eq!(sys(&mut p, 25, &[w as u64, 9999, 0]), EINVAL);
    // Terminal ioctls on a pipe: ENOTTY; unknown requests: ENOTTY; bad pointer: EFAULT first.
    assert_eq!(sys(&mut p, 29, &[r as u64, 0x5401, BUF]), -25);
    assert_eq!(sys(&mut p, 29, &[r as u64, 0xdead_beef, BUF]), -25);
    assert_eq!(sys(&mut p, 29, &[r as u64, 0x5401, RO]), EFAULT);
    // FIONREAD counts pending bytes.
    // SAFETY: host buffer.
    assert_eq!(unsafe { libc::write(w, b"abc".as_ptr().cast(), 3) }, 3);
    assert_eq!(sys(&mut p, 29, &[r as u64, 0x541b, BUF]), 0);
    assert_eq!(p.mem.load(BUF, Width::W), Ok(3));
    // readv through an unmapped iovec array is EFAULT.
    assert_eq!(sys(&mut p, 65, &[r as u64, 0x5000_0000, 1]), EFAULT);
    assert_eq!(sys(&mut p, 65, &[r as u64, BUF, 5000]), EINVAL);
    // setrlimit(RLIMIT_AS) is accepted without constraining the translator.
    p.mem.write_u64(BUF, 1 << 20).expect("cur");
    p.mem.write_u64(BUF + 8, 1 << 20).expect("max");
    assert_eq!(sys(&mut p, 164, &[9, BUF]), 0);
    let before = sys(
        &mut p,
        222,
        &[0, 1 << 24, PROT_RW, MAP_PRIVATE_ANON, u64::MAX, 0],
    );
    assert!(before > 0);
    // SAFETY: closing our own descriptors.
    unsafe {
        libc::close(r);
        libc::close(w);
    }
}

#[test]
fn log_fault_writes_a_signal_line_under_strace() {
    use translator::{Cause, Exception};
    let mut p = process();
    let sink = Sink::default();
    p.strace_out = Some(Box::new(sink.clone()));
    let cpu = CpuState {
        pc: 0x1_0078,
        ..Default::default()
    };
    let e = Exception::new(Cause::LoadPageFault, 0x5000_0000);
    runtime::linux::syscall::log_fault(&mut p, &cpu, &e, 11);
    assert!(
        sink.0.lock().expect("lock").is_empty(),
        "silent without --strace"
    );
    p.opts.strace = true;
    runtime::linux::syscall::log_fault(&mut p, &cpu, &e, 11);
    let out = String::from_utf8(sink.0.lock().expect("lock").clone()).expect("utf8");
    assert!(
        out.contains(
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x50000000} (pc=0x10078) ---"
        ),
        "{out}"
    );
    assert!(out.ends_with("+++ killed by SIGSEGV +++\n"), "{out}");
}
