//! File and descriptor syscalls of the Linux riscv64 ABI (asm-generic unistd.h numbers 17..88,
//! 276, 285, 291, 439, 452), passed to the host kernel through checked host buffers.
//!
//! Open flags, `AT_*` flags, fcntl commands, whence values, ioctl numbers for terminals and errno
//! values are the asm-generic ones on riscv64 and x86-64 alike (x86-64's asm/fcntl.h includes
//! asm-generic/fcntl.h, as riscv64's does); the const assertions below pin that down.

use std::os::unix::ffi::OsStrExt;

use super::abi::{self, bytes_of, zeroed};
use super::errno::*;
use super::{cstring, cvt, cvt_i, read_path, Args, SysResult, MAX_RW_COUNT};
use crate::linux::jail::{self, HostPath, Use};
use crate::linux::Process;

/// Generic `O_*` open flags (asm-generic/fcntl.h), the guest's values.
pub mod o {
    pub const ACCMODE: u64 = 0o3;
    pub const WRONLY: u64 = 0o1;
    pub const RDWR: u64 = 0o2;
    pub const CREAT: u64 = 0o100;
    pub const EXCL: u64 = 0o200;
    pub const NOCTTY: u64 = 0o400;
    pub const TRUNC: u64 = 0o1000;
    pub const APPEND: u64 = 0o2000;
    pub const NONBLOCK: u64 = 0o4000;
    pub const DSYNC: u64 = 0o10000;
    pub const ASYNC: u64 = 0o20000;
    pub const DIRECT: u64 = 0o40000;
    pub const LARGEFILE: u64 = 0o100000;
    pub const DIRECTORY: u64 = 0o200000;
    pub const NOFOLLOW: u64 = 0o400000;
    pub const NOATIME: u64 = 0o1000000;
    pub const CLOEXEC: u64 = 0o2000000;
    pub const SYNC: u64 = 0o4010000;
    pub const PATH: u64 = 0o10000000;
    pub const TMPFILE: u64 = 0o20200000;

    /// Names for strace, in the order strace prints them.
    pub const NAMES: &[(u64, &str)] = &[
        (CREAT, "O_CREAT"),
        (EXCL, "O_EXCL"),
        (NOCTTY, "O_NOCTTY"),
        (TRUNC, "O_TRUNC"),
        (APPEND, "O_APPEND"),
        (NONBLOCK, "O_NONBLOCK"),
        (SYNC, "O_SYNC"),
        (DSYNC, "O_DSYNC"),
        (ASYNC, "O_ASYNC"),
        (DIRECT, "O_DIRECT"),
        (LARGEFILE, "O_LARGEFILE"),
        (TMPFILE, "O_TMPFILE"),
        (DIRECTORY, "O_DIRECTORY"),
        (NOFOLLOW, "O_NOFOLLOW"),
        (NOATIME, "O_NOATIME"),
        (CLOEXEC, "O_CLOEXEC"),
        (PATH, "O_PATH"),
    ];
}

// The x86-64 host uses the same octal values for every generic open flag (the classic trap is
// O_DIRECTORY/O_NOFOLLOW/O_DIRECT/O_LARGEFILE, which differ on arm and powerpc, not here).
// glibc's userspace O_LARGEFILE is 0 on x86-64, the kernel's is 0o100000 and forced on for
// 64-bit processes anyway, so it passes through harmlessly.
const _: () = {
    assert!(libc::O_CREAT as u64 == o::CREAT);
    assert!(libc::O_EXCL as u64 == o::EXCL);
    assert!(libc::O_NOCTTY as u64 == o::NOCTTY);
    assert!(libc::O_TRUNC as u64 == o::TRUNC);
    assert!(libc::O_APPEND as u64 == o::APPEND);
    assert!(libc::O_NONBLOCK as u64 == o::NONBLOCK);
    assert!(libc::O_DSYNC as u64 == o::DSYNC);
    assert!(libc::O_ASYNC as u64 == o::ASYNC);
    assert!(libc::O_DIRECT as u64 == o::DIRECT);
    assert!(libc::O_DIRECTORY as u64 == o::DIRECTORY);
    assert!(libc::O_NOFOLLOW as u64 == o::NOFOLLOW);
    assert!(libc::O_NOATIME as u64 == o::NOATIME);
    assert!(libc::O_CLOEXEC as u64 == o::CLOEXEC);
    assert!(libc::O_SYNC as u64 == o::SYNC);
    assert!(libc::O_PATH as u64 == o::PATH);
    assert!(libc::O_TMPFILE as u64 == o::TMPFILE);
    assert!(libc::AT_FDCWD == -100);
    assert!(libc::AT_SYMLINK_NOFOLLOW == 0x100);
    assert!(libc::AT_REMOVEDIR == 0x200);
    assert!(libc::AT_EMPTY_PATH == 0x1000);
    assert!(libc::F_DUPFD_CLOEXEC == 1030);
    assert!(libc::F_GETLK == 5 && libc::F_SETLKW == 7 && libc::F_OFD_SETLKW == 38);
    assert!(libc::TCGETS == 0x5401 && libc::TIOCGWINSZ == 0x5413 && libc::FIONREAD == 0x541b);
};

/// Guest open flags to host open flags: every generic flag has the same value on the host
/// (asserted above), so the translation is the identity on the known bits; unknown bits are
/// passed on for the host kernel to reject or ignore, as the guest kernel would.
pub fn open_flags_to_host(flags: u64) -> libc::c_int {
    flags as u32 as libc::c_int
}

/// Host path for a guest path: `/proc/self/exe` is the guest program; with `-L`, an absolute
/// path that exists under the prefix is taken from there (as qemu-user does).
pub(crate) fn host_path(p: &Process, path: Vec<u8>) -> Result<std::ffi::CString, Errno> {
    if is_proc_self_exe(&path) {
        return cstring(p.exe_path.as_os_str().as_bytes().to_vec());
    }
    if let (Some(prefix), Some(b'/')) = (&p.opts.ld_prefix, path.first()) {
        let mut full = prefix.as_os_str().as_bytes().to_vec();
        full.extend_from_slice(&path);
        let os = std::ffi::OsStr::from_bytes(&full);
        if std::fs::symlink_metadata(os).is_ok() {
            return cstring(full);
        }
    }
    cstring(path)
}

fn is_proc_self_exe(path: &[u8]) -> bool {
    if path == b"/proc/self/exe" {
        return true;
    }
    let own = format!("/proc/{}/exe", std::process::id());
    path == own.as_bytes()
}

/// A guest path argument taken literally (for syscalls that create or remove names).
fn raw_path_arg(p: &Process, addr: u64) -> Result<std::ffi::CString, Errno> {
    cstring(read_path(p, addr)?)
}

/// A guest path argument relative to guest descriptor `dirfd`, as the host (dirfd, path) to
/// use (inside the `--root` jail if there is one; `prefixed`: looked up under `-L` too).
fn at_path(
    p: &Process,
    dirfd: u64,
    addr: u64,
    how: Use,
    prefixed: bool,
) -> Result<HostPath, Errno> {
    let v = read_path(p, addr)?;
    if p.opts.sandbox.root.is_none() && !prefixed {
        return Ok(HostPath::plain(dirfd, cstring(v)?));
    }
    jail::host_path(p, dirfd, v, how)
}

/// `Use::Last` when the `AT_*` flags say AT_SYMLINK_NOFOLLOW, `Use::Follow` otherwise.
fn follow_unless(flags: u64) -> Use {
    if flags & libc::AT_SYMLINK_NOFOLLOW as u64 != 0 {
        Use::Last
    } else {
        Use::Follow
    }
}

fn dirfd(v: u64) -> libc::c_long {
    v as i32 as libc::c_long
}

/// A host syscall whose first `n` arguments are plain integers (no pointers).
pub fn passthrough(sysno: libc::c_long, a: &Args, n: usize) -> SysResult {
    let v = |i: usize| if i < n { a[i] as libc::c_long } else { 0 };
    // SAFETY: only used for syscalls whose arguments are integers (descriptors, modes, sizes);
    // no guest pointer reaches the host.
    cvt(unsafe { libc::syscall(sysno, v(0), v(1), v(2), v(3), v(4), v(5)) })
}

pub fn read(p: &mut Process, a: &Args) -> SysResult {
    let len = a[2].min(MAX_RW_COUNT);
    let buf = p.mem.slice_mut(a[1], len)?;
    // SAFETY: `buf` is a checked writable host slice of guest memory of exactly buf.len() bytes.
    cvt(unsafe { libc::read(a[0] as i32, buf.as_mut_ptr().cast(), buf.len()) } as libc::c_long)
}

pub fn write(p: &mut Process, a: &Args) -> SysResult {
    let len = a[2].min(MAX_RW_COUNT);
    let buf = p.mem.slice(a[1], len)?;
    // SAFETY: `buf` is a checked readable host slice of guest memory.
    cvt(unsafe { libc::write(a[0] as i32, buf.as_ptr().cast(), buf.len()) } as libc::c_long)
}

pub fn pread(p: &mut Process, a: &Args) -> SysResult {
    let len = a[2].min(MAX_RW_COUNT);
    let buf = p.mem.slice_mut(a[1], len)?;
    // SAFETY: as in `read`.
    cvt(
        unsafe { libc::pread(a[0] as i32, buf.as_mut_ptr().cast(), buf.len(), a[3] as i64) }
            as libc::c_long,
    )
}

pub fn pwrite(p: &mut Process, a: &Args) -> SysResult {
    let len = a[2].min(MAX_RW_COUNT);
    let buf = p.mem.slice(a[1], len)?;
    // SAFETY: as in `write`.
    cvt(
        unsafe { libc::pwrite(a[0] as i32, buf.as_ptr().cast(), buf.len(), a[3] as i64) }
            as libc::c_long,
    )
}

/// Largest iovec count (UIO_MAXIOV).
const UIO_MAXIOV: u64 = 1024;

/// Builds host iovecs for the guest iovec array at `iov` (`struct iovec` is two u64 on both).
pub(crate) fn iovecs(
    p: &Process,
    iov: u64,
    cnt: u64,
    write_into: bool,
) -> Result<Vec<libc::iovec>, Errno> {
    if cnt > UIO_MAXIOV {
        return Err(EINVAL);
    }
    let mut raw = vec![0u8; cnt as usize * 16];
    p.mem.read_bytes(iov, &mut raw)?;
    let mut out = Vec::with_capacity(cnt as usize);
    let mut total: u64 = 0;
    for i in 0..cnt as usize {
        let base = abi::get_u64(&raw, i * 16);
        let len = abi::get_u64(&raw, i * 16 + 8);
        if len > i64::MAX as u64 {
            return Err(EINVAL);
        }
        let len = len.min(MAX_RW_COUNT - total);
        total += len;
        // Only raw pointers are kept: no Rust references to (possibly overlapping) guest
        // buffers stay alive while the host kernel fills them.
        let ptr: *mut u8 = if write_into {
            p.mem.slice_mut(base, len)?.as_mut_ptr()
        } else {
            p.mem.slice(base, len)?.as_ptr().cast_mut()
        };
        out.push(libc::iovec {
            iov_base: ptr.cast(),
            iov_len: len as usize,
        });
    }
    Ok(out)
}

/// readv / preadv / preadv2 (`off` = offset and RWF flags).
pub fn readv(p: &mut Process, a: &Args, off: Option<(i64, i32)>) -> SysResult {
    let v = iovecs(p, a[1], a[2], true)?;
    let (fd, ptr, n) = (
        a[0] as i32 as libc::c_long,
        v.as_ptr(),
        v.len() as libc::c_long,
    );
    // SAFETY: every iovec points into checked writable guest memory of its length.
    cvt(unsafe {
        match off {
            None => libc::syscall(libc::SYS_readv, fd, ptr, n),
            Some((o, f)) => libc::syscall(libc::SYS_preadv2, fd, ptr, n, o, 0, f),
        }
    })
}

/// writev / pwritev / pwritev2.
pub fn writev(p: &mut Process, a: &Args, off: Option<(i64, i32)>) -> SysResult {
    let v = iovecs(p, a[1], a[2], false)?;
    let (fd, ptr, n) = (
        a[0] as i32 as libc::c_long,
        v.as_ptr(),
        v.len() as libc::c_long,
    );
    // SAFETY: every iovec points into checked readable guest memory of its length.
    cvt(unsafe {
        match off {
            None => libc::syscall(libc::SYS_writev, fd, ptr, n),
            Some((o, f)) => libc::syscall(libc::SYS_pwritev2, fd, ptr, n, o, 0, f),
        }
    })
}

pub fn openat(p: &mut Process, a: &Args) -> SysResult {
    let raw = read_path(p, a[1])?;
    if let Some(r) = crate::linux::procfs::open(p, &raw, a[2]) {
        return r;
    }
    if let Some(root) = p.opts.sandbox.root.clone() {
        if !is_proc_self_exe(&raw) {
            let fd = root.open(a[0] as i32, &raw, a[2], a[3])?;
            let fd = std::os::fd::IntoRawFd::into_raw_fd(fd);
            opened(p, fd, a[2]);
            return Ok(fd as u64);
        }
    }
    let path = host_path(p, raw)?;
    let flags = open_flags_to_host(a[2]);
    // SAFETY: `path` is a host CString; the other arguments are integers.
    let fd = cvt(unsafe {
        libc::syscall(
            libc::SYS_openat,
            dirfd(a[0]),
            path.as_ptr(),
            flags as libc::c_long,
            a[3] as u32 as libc::c_long,
        )
    })?;
    opened(p, fd as i32, a[2]);
    Ok(fd)
}

/// After the guest opened `fd` with (guest) `flags`: what the memory must know of it.
fn opened(p: &Process, fd: i32, flags: u64) {
    note_proc_mem(p, fd);
    if flags & o::TRUNC != 0 {
        note_resized(p, fd);
    }
}

/// After a call that may have shrunk the file open as `fd`: guest pages mapping it wholly
/// past its new end raise SIGBUS from now on, as on Linux ([`GuestMemory::file_resized`]).
/// (Growing needs nothing: such a page gets its bits back at its next access.)
///
/// [`GuestMemory::file_resized`]: crate::mem::GuestMemory::file_resized
fn note_resized(p: &Process, fd: i32) {
    let mut st: libc::stat = super::abi::zeroed();
    // SAFETY: host struct stat for a descriptor number.
    if unsafe { libc::fstat(fd, &mut st) } == 0 {
        resized(p, &st);
    }
}

/// [`note_resized`] for the file `st` describes.
fn resized(p: &Process, st: &libc::stat) {
    if st.st_mode & libc::S_IFMT == libc::S_IFREG {
        p.mem.file_resized(st.st_dev, st.st_ino, st.st_size as u64);
    }
}

/// ftruncate(fd, length).
pub fn ftruncate(p: &mut Process, a: &Args) -> SysResult {
    let r = passthrough(libc::SYS_ftruncate, a, 2)?;
    note_resized(p, a[0] as i32);
    Ok(r)
}

/// fallocate(fd, mode, offset, len): FALLOC_FL_COLLAPSE_RANGE shrinks the file.
pub fn fallocate(p: &mut Process, a: &Args) -> SysResult {
    let r = passthrough(libc::SYS_fallocate, a, 4)?;
    note_resized(p, a[0] as i32);
    Ok(r)
}

/// A process's `mem` file under /proc writes guest memory without going through the guest
/// memory's stores (guest addresses are host addresses): code may then change unseen (see
/// `GuestMemory::note_alias`).
fn note_proc_mem(p: &Process, fd: i32) {
    const PROC_SUPER_MAGIC: libc::c_long = 0x9fa0;
    let mut st: libc::statfs = zeroed();
    // SAFETY: `st` is a host struct statfs; `fd` is an integer.
    if unsafe { libc::fstatfs(fd, &mut st) } != 0 || st.f_type as libc::c_long != PROC_SUPER_MAGIC {
        return;
    }
    let is_mem = std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .is_ok_and(|t| t.file_name().is_some_and(|n| n == "mem"));
    if is_mem {
        p.mem.note_alias();
    }
}

/// memfd_create(name, flags): an anonymous host file (the name only labels it in
/// /proc/self/fd; at most 249 bytes, as Linux's MFD_NAME_MAX_LEN). The flags are the same
/// on every architecture and pass through.
pub fn memfd_create(p: &mut Process, a: &Args) -> SysResult {
    let name = read_path(p, a[0])?;
    if name.len() > 249 {
        return Err(EINVAL);
    }
    let name = cstring(name)?;
    // SAFETY: `name` is a host CString; the flags are an integer.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            name.as_ptr(),
            a[1] as u32 as libc::c_long,
        )
    })
}

pub fn close(a: &Args) -> SysResult {
    // SAFETY: closing a descriptor number; guest fds are host fds.
    cvt_i(unsafe { libc::close(a[0] as i32) })
}

pub fn lseek(a: &Args) -> SysResult {
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::lseek(a[0] as i32, a[1] as i64, a[2] as i32) })
}

fn put_stat(p: &Process, addr: u64, st: &libc::stat) -> SysResult {
    p.mem.write_bytes(addr, &abi::stat_to_guest(st))?;
    Ok(0)
}

pub fn fstat(p: &mut Process, a: &Args) -> SysResult {
    let mut st: libc::stat = zeroed();
    // SAFETY: `st` is a host struct stat.
    cvt_i(unsafe { libc::fstat(a[0] as i32, &mut st) })?;
    put_stat(p, a[1], &st)
}

pub fn newfstatat(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, a[0], a[1], follow_unless(a[3]), true)?;
    let mut st: libc::stat = zeroed();
    // SAFETY: host CString path and host struct stat.
    cvt_i(unsafe { libc::fstatat(hp.dirfd_i32(), hp.path.as_ptr(), &mut st, a[3] as i32) })?;
    put_stat(p, a[2], &st)
}

pub fn statx(p: &mut Process, a: &Args) -> SysResult {
    let path = if a[1] == 0 {
        None
    } else {
        Some(at_path(p, a[0], a[1], follow_unless(a[2]), true)?)
    };
    let dfd = path.as_ref().map_or(dirfd(a[0]), |h| h.dirfd);
    let mut stx: libc::statx = zeroed();
    let pp = path.as_ref().map_or(std::ptr::null(), |c| c.path.as_ptr());
    // SAFETY: host path (or NULL, allowed with AT_EMPTY_PATH) and a host struct statx.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_statx,
            dfd,
            pp,
            a[2] as i32 as libc::c_long,
            a[3] as u32 as libc::c_long,
            &mut stx as *mut libc::statx,
        )
    })?;
    p.mem.write_bytes(a[4], bytes_of(&stx))?;
    Ok(0)
}

pub fn getdents64(p: &mut Process, a: &Args) -> SysResult {
    // struct linux_dirent64 is the same on both ABIs: the host fills the guest buffer directly.
    let len = a[2].min(1 << 20);
    let buf = p.mem.slice_mut(a[1], len)?;
    // SAFETY: checked writable host slice of guest memory of buf.len() bytes.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            dirfd(a[0]),
            buf.as_mut_ptr(),
            buf.len(),
        )
    })
}

pub fn readlinkat(p: &mut Process, a: &Args) -> SysResult {
    let raw = read_path(p, a[1])?;
    let size = a[3] as i32;
    if size <= 0 {
        return Err(EINVAL);
    }
    let buf = p.mem.slice_mut(a[2], size as u64)?;
    if is_proc_self_exe(&raw) {
        let exe = std::fs::canonicalize(&p.exe_path).unwrap_or_else(|_| p.exe_path.clone());
        let b = exe.as_os_str().as_bytes();
        let n = b.len().min(buf.len());
        buf[..n].copy_from_slice(&b[..n]);
        return Ok(n as u64);
    }
    let hp = if p.opts.sandbox.root.is_some() {
        jail::host_path(p, a[0], raw, Use::Last)?
    } else {
        HostPath::plain(a[0], host_path(p, raw)?)
    };
    // SAFETY: host path and a checked writable host slice of guest memory.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_readlinkat,
            hp.dirfd,
            hp.path.as_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    })
}

pub fn faccessat(p: &mut Process, a: &Args, flags: u64) -> SysResult {
    let hp = at_path(p, a[0], a[1], follow_unless(flags), true)?;
    // SAFETY: host path; integer mode and flags.
    cvt(unsafe {
        if flags == 0 {
            libc::syscall(libc::SYS_faccessat, hp.dirfd, hp.path.as_ptr(), a[2] as i32)
        } else {
            libc::syscall(
                libc::SYS_faccessat2,
                hp.dirfd,
                hp.path.as_ptr(),
                a[2] as i32,
                flags as i32,
            )
        }
    })
}

pub fn mkdirat(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, a[0], a[1], Use::Last, false)?;
    // SAFETY: host path and integer mode.
    cvt_i(unsafe { libc::mkdirat(hp.dirfd_i32(), hp.path.as_ptr(), a[2] as libc::mode_t) })
}

pub fn mknodat(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, a[0], a[1], Use::Last, false)?;
    // SAFETY: host path and integer mode and device.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_mknodat,
            hp.dirfd,
            hp.path.as_ptr(),
            a[2] as u32,
            a[3] as u32,
        )
    })
}

pub fn unlinkat(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, a[0], a[1], Use::Last, false)?;
    // SAFETY: host path and integer flags.
    cvt_i(unsafe { libc::unlinkat(hp.dirfd_i32(), hp.path.as_ptr(), a[2] as i32) })
}

pub fn renameat2(p: &mut Process, a: &Args) -> SysResult {
    let old = at_path(p, a[0], a[1], Use::Last, false)?;
    let new = at_path(p, a[2], a[3], Use::Last, false)?;
    // SAFETY: host paths and integer descriptors and flags.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            old.dirfd,
            old.path.as_ptr(),
            new.dirfd,
            new.path.as_ptr(),
            a[4] as u32,
        )
    })
}

pub fn symlinkat(p: &mut Process, a: &Args) -> SysResult {
    // The target is stored as written: every later lookup through it is resolved in the jail.
    let target = raw_path_arg(p, a[0])?;
    let link = at_path(p, a[1], a[2], Use::Last, false)?;
    // SAFETY: host paths.
    cvt_i(unsafe { libc::symlinkat(target.as_ptr(), link.dirfd_i32(), link.path.as_ptr()) })
}

pub fn linkat(p: &mut Process, a: &Args) -> SysResult {
    let follow = if a[4] & libc::AT_SYMLINK_FOLLOW as u64 != 0 {
        Use::Follow
    } else {
        Use::Last
    };
    let old = at_path(p, a[0], a[1], follow, false)?;
    let new = at_path(p, a[2], a[3], Use::Last, false)?;
    // SAFETY: host paths.
    cvt_i(unsafe {
        libc::linkat(
            old.dirfd_i32(),
            old.path.as_ptr(),
            new.dirfd_i32(),
            new.path.as_ptr(),
            a[4] as i32,
        )
    })
}

/// fchmodat (3 arguments) and fchmodat2 (with flags).
pub fn fchmodat(p: &mut Process, a: &Args, flags: Option<u64>) -> SysResult {
    let hp = at_path(p, a[0], a[1], follow_unless(flags.unwrap_or(0)), false)?;
    // SAFETY: host path and integer mode/flags.
    cvt(unsafe {
        match flags {
            None => libc::syscall(libc::SYS_fchmodat, hp.dirfd, hp.path.as_ptr(), a[2] as u32),
            Some(f) => libc::syscall(452, hp.dirfd, hp.path.as_ptr(), a[2] as u32, f as u32),
        }
    })
}

pub fn fchownat(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, a[0], a[1], follow_unless(a[4]), false)?;
    // SAFETY: host path and integer ids/flags.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_fchownat,
            hp.dirfd,
            hp.path.as_ptr(),
            a[2] as u32,
            a[3] as u32,
            a[4] as i32,
        )
    })
}

pub fn utimensat(p: &mut Process, a: &Args) -> SysResult {
    let path = if a[1] == 0 {
        None
    } else {
        Some(at_path(p, a[0], a[1], follow_unless(a[3]), false)?)
    };
    let dfd = path.as_ref().map_or(dirfd(a[0]), |h| h.dirfd);
    let mut ts = [0u8; 32];
    let times = if a[2] == 0 {
        None
    } else {
        p.mem.read_bytes(a[2], &mut ts)?;
        Some(ts)
    };
    let pp = path.as_ref().map_or(std::ptr::null(), |c| c.path.as_ptr());
    let tp = times.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
    // SAFETY: host path or NULL, and a host copy of two struct timespec (same layout) or NULL.
    cvt(unsafe { libc::syscall(libc::SYS_utimensat, dfd, pp, tp, a[3] as i32) })
}

pub fn truncate(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, libc::AT_FDCWD as u64, a[0], Use::Follow, false)?;
    // SAFETY: host path and integer length.
    let r = cvt_i(unsafe { libc::truncate(hp.path.as_ptr(), a[1] as i64) })?;
    let mut st: libc::stat = super::abi::zeroed();
    // SAFETY: host path and a host struct stat.
    if unsafe { libc::stat(hp.path.as_ptr(), &mut st) } == 0 {
        resized(p, &st);
    }
    Ok(r)
}

pub fn getcwd(p: &mut Process, a: &Args) -> SysResult {
    let mut buf = vec![0u8; super::PATH_MAX];
    // SAFETY: host buffer of buf.len() bytes.
    let mut n = cvt(unsafe { libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()) })?;
    if let Some(root) = &p.opts.sandbox.root {
        let mut g = jail::guest_cwd(root)?;
        g.push(0);
        n = g.len() as u64;
        buf = g;
    }
    if n > a[1] {
        return Err(ERANGE);
    }
    p.mem.write_bytes(a[0], &buf[..n as usize])?;
    Ok(n)
}

pub fn chdir(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, libc::AT_FDCWD as u64, a[0], Use::Follow, false)?;
    // SAFETY: host path.
    cvt_i(unsafe { libc::chdir(hp.path.as_ptr()) })
}

pub fn pipe2(p: &mut Process, a: &Args) -> SysResult {
    let mut fds = [0i32; 2];
    // SAFETY: host array of two ints.
    cvt_i(unsafe { libc::pipe2(fds.as_mut_ptr(), a[1] as i32) })?;
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&fds[0].to_le_bytes());
    b[4..].copy_from_slice(&fds[1].to_le_bytes());
    if let Err(e) = p.mem.write_bytes(a[0], &b) {
        // SAFETY: closing the two descriptors just created.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return Err(e.into());
    }
    Ok(0)
}

pub fn fcntl(p: &mut Process, a: &Args) -> SysResult {
    // Generic values (asm-generic/fcntl.h), not exported by the libc crate for x86-64.
    const F_SETSIG: i32 = 10;
    const F_GETSIG: i32 = 11;
    const F_SETOWN_EX: i32 = 15;
    const F_GETOWN_EX: i32 = 16;
    let (fd, cmd) = (a[0] as i32, a[1] as i32);
    match cmd {
        // struct flock (same layout): copy in, run, copy out.
        libc::F_GETLK
        | libc::F_SETLK
        | libc::F_SETLKW
        | libc::F_OFD_GETLK
        | libc::F_OFD_SETLK
        | libc::F_OFD_SETLKW => {
            let mut fl = [0u8; abi::FLOCK_SIZE];
            p.mem.read_bytes(a[2], &mut fl)?;
            // SAFETY: host copy of a struct flock.
            let r = cvt_i(unsafe { libc::fcntl(fd, cmd, fl.as_mut_ptr()) })?;
            if cmd == libc::F_GETLK || cmd == libc::F_OFD_GETLK {
                p.mem.write_bytes(a[2], &fl)?;
            }
            Ok(r)
        }
        // struct f_owner_ex {int type; pid_t pid;}.
        F_GETOWN_EX | F_SETOWN_EX => {
            let mut ow = [0u8; 8];
            p.mem.read_bytes(a[2], &mut ow)?;
            // SAFETY: host copy of a struct f_owner_ex.
            let r = cvt_i(unsafe { libc::fcntl(fd, cmd, ow.as_mut_ptr()) })?;
            if cmd == F_GETOWN_EX {
                p.mem.write_bytes(a[2], &ow)?;
            }
            Ok(r)
        }
        // Integer argument (or none).
        libc::F_DUPFD
        | libc::F_DUPFD_CLOEXEC
        | libc::F_GETFD
        | libc::F_SETFD
        | libc::F_GETFL
        | libc::F_SETFL
        | libc::F_GETOWN
        | libc::F_SETOWN
        | F_GETSIG
        | F_SETSIG
        | libc::F_GETLEASE
        | libc::F_SETLEASE
        | libc::F_NOTIFY
        | libc::F_GETPIPE_SZ
        | libc::F_SETPIPE_SZ
        | libc::F_ADD_SEALS
        | libc::F_GET_SEALS => {
            // SAFETY: integer argument only.
            cvt_i(unsafe { libc::fcntl(fd, cmd, a[2] as libc::c_long) })
        }
        _ => Err(EINVAL),
    }
}

/// Terminal and descriptor ioctls (generic numbers, equal to x86-64's for these).
pub fn ioctl(p: &mut Process, a: &Args) -> SysResult {
    let (fd, req, arg) = (a[0] as i32, a[1] as u32 as libc::c_ulong, a[2]);
    // (bytes in, bytes out) of the argument struct, or None for an integer argument.
    let io: Option<(usize, bool, bool)> = match req {
        libc::TCGETS => Some((abi::TERMIOS_SIZE, false, true)),
        libc::TCSETS | libc::TCSETSW | libc::TCSETSF => Some((abi::TERMIOS_SIZE, true, false)),
        libc::TIOCGWINSZ => Some((abi::WINSIZE_SIZE, false, true)),
        libc::TIOCSWINSZ => Some((abi::WINSIZE_SIZE, true, false)),
        libc::FIONREAD | libc::TIOCOUTQ | libc::TIOCGPGRP | libc::TIOCGSID | libc::TIOCGPTN => {
            Some((4, false, true))
        }
        libc::TIOCSPGRP | libc::FIONBIO | libc::FIOASYNC | libc::TIOCSPTLCK => {
            Some((4, true, false))
        }
        libc::TIOCSCTTY
        | libc::TCSBRK
        | libc::TCXONC
        | libc::TCFLSH
        | libc::FIOCLEX
        | libc::FIONCLEX
        | libc::TIOCNOTTY => None,
        // Unknown requests: as qemu-user does.
        _ => return Err(ENOTTY),
    };
    match io {
        None => {
            // SAFETY: integer argument only.
            cvt_i(unsafe { libc::ioctl(fd, req, arg as libc::c_long) })
        }
        Some((size, input, output)) => {
            let mut buf = [0u8; 64];
            if input {
                p.mem.read_bytes(arg, &mut buf[..size])?;
            } else {
                // Check the output buffer first, as the kernel does before acting.
                p.mem.slice_mut(arg, size as u64)?;
            }
            // SAFETY: a 64-byte host buffer, larger than any struct these requests use.
            let r = cvt_i(unsafe { libc::ioctl(fd, req, buf.as_mut_ptr()) })?;
            if output {
                p.mem.write_bytes(arg, &buf[..size])?;
            }
            Ok(r)
        }
    }
}

pub fn statfs(p: &mut Process, a: &Args) -> SysResult {
    let hp = at_path(p, libc::AT_FDCWD as u64, a[0], Use::Follow, true)?;
    let mut s: libc::statfs = zeroed();
    // SAFETY: host path and host struct statfs (same layout as the guest's).
    cvt_i(unsafe { libc::statfs(hp.path.as_ptr(), &mut s) })?;
    p.mem.write_bytes(a[1], bytes_of(&s))?;
    Ok(0)
}

pub fn fstatfs(p: &mut Process, a: &Args) -> SysResult {
    let mut s: libc::statfs = zeroed();
    // SAFETY: host struct statfs.
    cvt_i(unsafe { libc::fstatfs(a[0] as i32, &mut s) })?;
    p.mem.write_bytes(a[1], bytes_of(&s))?;
    Ok(0)
}

fn read_off(p: &Process, addr: u64) -> Result<Option<i64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    Ok(Some(p.mem.read_u64(addr)? as i64))
}

fn off_ptr(o: &mut Option<i64>) -> *mut i64 {
    o.as_mut().map_or(std::ptr::null_mut(), |v| v as *mut i64)
}

pub fn sendfile(p: &mut Process, a: &Args) -> SysResult {
    let mut off = read_off(p, a[2])?;
    let count = a[3].min(MAX_RW_COUNT) as usize;
    // SAFETY: descriptors, a host offset (or NULL) and a count.
    let r = cvt(
        unsafe { libc::sendfile(a[0] as i32, a[1] as i32, off_ptr(&mut off), count) }
            as libc::c_long,
    )?;
    if let Some(o) = off {
        p.mem.write_u64(a[2], o as u64)?;
    }
    Ok(r)
}

pub fn copy_file_range(p: &mut Process, a: &Args) -> SysResult {
    let mut off_in = read_off(p, a[1])?;
    let mut off_out = read_off(p, a[3])?;
    // SAFETY: descriptors, host offsets (or NULL), a length and flags.
    let r = cvt(unsafe {
        libc::syscall(
            libc::SYS_copy_file_range,
            a[0] as i32,
            off_ptr(&mut off_in),
            a[2] as i32,
            off_ptr(&mut off_out),
            a[4].min(MAX_RW_COUNT) as usize,
            a[5] as u32,
        )
    })?;
    if let Some(o) = off_in {
        p.mem.write_u64(a[1], o as u64)?;
    }
    if let Some(o) = off_out {
        p.mem.write_u64(a[3], o as u64)?;
    }
    Ok(r)
}

/// ppoll(fds, nfds, timeout, sigmask, sigsetsize): the pollfd array has the same layout on both
/// ABIs; `sigmask` is the guest's mask for the wait (signal::wait_with_mask); the remaining time
/// is written back, also when a signal interrupts the wait, as Linux does.
pub fn ppoll(p: &mut Process, a: &Args) -> SysResult {
    let n = a[1];
    if n > 1 << 16 {
        return Err(EINVAL);
    }
    let mut fds = vec![0u8; n as usize * 8];
    p.mem.read_bytes(a[0], &mut fds)?;
    let mut ts = [0u8; 16];
    let tsp = if a[2] == 0 {
        std::ptr::null_mut()
    } else {
        p.mem.read_bytes(a[2], &mut ts)?;
        ts.as_mut_ptr()
    };
    let mask = crate::linux::signal::read_wait_mask(p, a[3], a[4])?;
    let fdp = fds.as_mut_ptr();
    let r = crate::linux::signal::wait_with_mask(p, mask, |hmask, nonblocking| {
        let mut zero = [0u8; 16];
        let t = if nonblocking { zero.as_mut_ptr() } else { tsp };
        // SAFETY: host copies of the pollfd array (same layout) and of the timespec (or null),
        // and a host sigset of 8 bytes (or null).
        cvt(unsafe { libc::syscall(libc::SYS_ppoll, fdp, n, t, hmask, 8usize) })
    });
    if r.is_ok() {
        p.mem.write_bytes(a[0], &fds)?;
    }
    if a[2] != 0 && matches!(r, Ok(_) | Err(EINTR)) {
        p.mem.write_bytes(a[2], &ts)?;
    }
    r
}
