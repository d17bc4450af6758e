//! The Linux system-call layer for riscv64 guests, following the Linux riscv64 syscall ABI:
//! `ecall` with the number in a7 and arguments in a0..a5, the result (or `-errno`) in a0, and
//! the asm-generic syscall table (`include/uapi/asm-generic/unistd.h`, as riscv64's
//! `asm/unistd.h` selects it: new stat, get/setrlimit, no renameat, plus riscv_hwprobe and
//! riscv_flush_icache).
//!
//! Guest file descriptors are host file descriptors (as in qemu-user). Guest pointers are never
//! handed to the host: every buffer goes through the checked guest-memory API, and a bad pointer
//! is `EFAULT`. Struct layouts that differ between riscv64 and x86-64 are converted in `abi`.

pub mod abi;
pub mod errno;
pub(crate) mod fs;
pub(crate) mod futex;
mod mm;
mod net;
mod process;
mod strace;
mod time;

use std::ffi::CString;

use translator::{CpuState, Exception};

use super::threads::with_mm;
use super::{procs, signal, Exit, Process};
use errno::*;

pub(crate) use fs::host_path as fs_host_path;
pub use mm::RangeSet;

/// The outcome of a syscall: a non-negative value, or an errno.
pub type SysResult = Result<u64, Errno>;

/// Syscall numbers of the asm-generic table used by riscv64.
pub mod nr {
    pub const GETXATTR: u64 = 8;
    pub const LGETXATTR: u64 = 9;
    pub const FGETXATTR: u64 = 10;
    pub const GETCWD: u64 = 17;
    pub const EVENTFD2: u64 = 19;
    pub const EPOLL_CREATE1: u64 = 20;
    pub const EPOLL_PWAIT: u64 = 22;
    pub const DUP: u64 = 23;
    pub const DUP3: u64 = 24;
    pub const FCNTL: u64 = 25;
    pub const IOCTL: u64 = 29;
    pub const FLOCK: u64 = 32;
    pub const MKNODAT: u64 = 33;
    pub const MKDIRAT: u64 = 34;
    pub const UNLINKAT: u64 = 35;
    pub const SYMLINKAT: u64 = 36;
    pub const LINKAT: u64 = 37;
    pub const STATFS: u64 = 43;
    pub const FSTATFS: u64 = 44;
    pub const TRUNCATE: u64 = 45;
    pub const FTRUNCATE: u64 = 46;
    pub const FALLOCATE: u64 = 47;
    pub const FACCESSAT: u64 = 48;
    pub const CHDIR: u64 = 49;
    pub const FCHDIR: u64 = 50;
    pub const FCHMOD: u64 = 52;
    pub const FCHMODAT: u64 = 53;
    pub const FCHOWNAT: u64 = 54;
    pub const FCHOWN: u64 = 55;
    pub const OPENAT: u64 = 56;
    pub const CLOSE: u64 = 57;
    pub const PIPE2: u64 = 59;
    pub const GETDENTS64: u64 = 61;
    pub const LSEEK: u64 = 62;
    pub const READ: u64 = 63;
    pub const WRITE: u64 = 64;
    pub const READV: u64 = 65;
    pub const WRITEV: u64 = 66;
    pub const PREAD64: u64 = 67;
    pub const PWRITE64: u64 = 68;
    pub const PREADV: u64 = 69;
    pub const PWRITEV: u64 = 70;
    pub const SENDFILE: u64 = 71;
    pub const PSELECT6: u64 = 72;
    pub const PPOLL: u64 = 73;
    pub const READLINKAT: u64 = 78;
    pub const NEWFSTATAT: u64 = 79;
    pub const FSTAT: u64 = 80;
    pub const SYNC: u64 = 81;
    pub const FSYNC: u64 = 82;
    pub const FDATASYNC: u64 = 83;
    pub const UTIMENSAT: u64 = 88;
    pub const PERSONALITY: u64 = 92;
    pub const EXIT: u64 = 93;
    pub const EXIT_GROUP: u64 = 94;
    pub const SET_TID_ADDRESS: u64 = 96;
    pub const FUTEX: u64 = 98;
    pub const SET_ROBUST_LIST: u64 = 99;
    pub const GET_ROBUST_LIST: u64 = 100;
    pub const NANOSLEEP: u64 = 101;
    pub const GETITIMER: u64 = 102;
    pub const SETITIMER: u64 = 103;
    pub const TIMER_CREATE: u64 = 107;
    pub const TIMER_GETTIME: u64 = 108;
    pub const TIMER_GETOVERRUN: u64 = 109;
    pub const TIMER_SETTIME: u64 = 110;
    pub const TIMER_DELETE: u64 = 111;
    pub const CLOCK_GETTIME: u64 = 113;
    pub const CLOCK_GETRES: u64 = 114;
    pub const CLOCK_NANOSLEEP: u64 = 115;
    pub const SCHED_SETAFFINITY: u64 = 122;
    pub const SCHED_GETAFFINITY: u64 = 123;
    pub const SCHED_YIELD: u64 = 124;
    pub const KILL: u64 = 129;
    pub const TKILL: u64 = 130;
    pub const TGKILL: u64 = 131;
    pub const SIGALTSTACK: u64 = 132;
    pub const RT_SIGSUSPEND: u64 = 133;
    pub const RT_SIGACTION: u64 = 134;
    pub const RT_SIGPROCMASK: u64 = 135;
    pub const RT_SIGPENDING: u64 = 136;
    pub const RT_SIGTIMEDWAIT: u64 = 137;
    pub const RT_SIGQUEUEINFO: u64 = 138;
    pub const RT_SIGRETURN: u64 = 139;
    pub const SETREGID: u64 = 143;
    pub const SETGID: u64 = 144;
    pub const SETREUID: u64 = 145;
    pub const SETUID: u64 = 146;
    pub const SETRESUID: u64 = 147;
    pub const GETRESUID: u64 = 148;
    pub const SETRESGID: u64 = 149;
    pub const GETRESGID: u64 = 150;
    pub const SETFSUID: u64 = 151;
    pub const SETFSGID: u64 = 152;
    pub const TIMES: u64 = 153;
    pub const SETPGID: u64 = 154;
    pub const GETPGID: u64 = 155;
    pub const GETSID: u64 = 156;
    pub const SETSID: u64 = 157;
    pub const GETGROUPS: u64 = 158;
    pub const SETGROUPS: u64 = 159;
    pub const UNAME: u64 = 160;
    pub const GETRLIMIT: u64 = 163;
    pub const SETRLIMIT: u64 = 164;
    pub const GETRUSAGE: u64 = 165;
    pub const UMASK: u64 = 166;
    pub const PRCTL: u64 = 167;
    pub const GETCPU: u64 = 168;
    pub const GETTIMEOFDAY: u64 = 169;
    pub const GETPID: u64 = 172;
    pub const GETPPID: u64 = 173;
    pub const GETUID: u64 = 174;
    pub const GETEUID: u64 = 175;
    pub const GETGID: u64 = 176;
    pub const GETEGID: u64 = 177;
    pub const GETTID: u64 = 178;
    pub const SYSINFO: u64 = 179;
    pub const SOCKET: u64 = 198;
    pub const SOCKETPAIR: u64 = 199;
    pub const BIND: u64 = 200;
    pub const LISTEN: u64 = 201;
    pub const ACCEPT: u64 = 202;
    pub const CONNECT: u64 = 203;
    pub const GETSOCKNAME: u64 = 204;
    pub const GETPEERNAME: u64 = 205;
    pub const SENDTO: u64 = 206;
    pub const RECVFROM: u64 = 207;
    pub const SETSOCKOPT: u64 = 208;
    pub const GETSOCKOPT: u64 = 209;
    pub const SHUTDOWN: u64 = 210;
    pub const SENDMSG: u64 = 211;
    pub const RECVMSG: u64 = 212;
    pub const ACCEPT4: u64 = 242;
    pub const RECVMMSG: u64 = 243;
    pub const SENDMMSG: u64 = 269;
    pub const EPOLL_CTL: u64 = 21;
    pub const EPOLL_PWAIT2: u64 = 441;
    pub const RT_TGSIGQUEUEINFO: u64 = 240;
    pub const BRK: u64 = 214;
    pub const MUNMAP: u64 = 215;
    pub const MREMAP: u64 = 216;
    pub const CLONE: u64 = 220;
    pub const EXECVE: u64 = 221;
    pub const MMAP: u64 = 222;
    pub const FADVISE64: u64 = 223;
    pub const MPROTECT: u64 = 226;
    pub const MSYNC: u64 = 227;
    pub const MLOCK: u64 = 228;
    pub const MUNLOCK: u64 = 229;
    pub const MLOCKALL: u64 = 230;
    pub const MUNLOCKALL: u64 = 231;
    pub const MINCORE: u64 = 232;
    pub const MADVISE: u64 = 233;
    pub const RISCV_HWPROBE: u64 = 258;
    pub const RISCV_FLUSH_ICACHE: u64 = 259;
    pub const WAIT4: u64 = 260;
    pub const WAITID: u64 = 95;
    pub const PRLIMIT64: u64 = 261;
    pub const SYNCFS: u64 = 267;
    pub const RENAMEAT2: u64 = 276;
    pub const GETRANDOM: u64 = 278;
    pub const MEMFD_CREATE: u64 = 279;
    pub const MEMBARRIER: u64 = 283;
    pub const MLOCK2: u64 = 284;
    pub const COPY_FILE_RANGE: u64 = 285;
    pub const PREADV2: u64 = 286;
    pub const PWRITEV2: u64 = 287;
    pub const STATX: u64 = 291;
    pub const RSEQ: u64 = 293;
    pub const CLONE3: u64 = 435;
    pub const CLOSE_RANGE: u64 = 436;
    pub const FACCESSAT2: u64 = 439;
    pub const FCHMODAT2: u64 = 452;
}

/// A recorded signal disposition (the guest's `struct sigaction`, riscv64 kernel layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub mask: u64,
}

/// Dispositions of signals 1..=64, indexed by `signo - 1`.
#[derive(Clone, Debug)]
pub struct SigActions(pub [SigAction; 64]);

impl Default for SigActions {
    fn default() -> Self {
        Self([SigAction::default(); 64])
    }
}

/// The dispositions, shared by the threads of a process (CLONE_SIGHAND).
#[derive(Clone, Debug, Default)]
pub struct SharedSigActions(std::sync::Arc<std::sync::Mutex<SigActions>>);

impl SharedSigActions {
    /// The disposition at index `i` (`signo - 1`, below 64).
    pub fn get(&self, i: usize) -> SigAction {
        match self.0.lock() {
            Ok(g) => g.0.get(i).copied().unwrap_or_default(),
            Err(e) => e.into_inner().0.get(i).copied().unwrap_or_default(),
        }
    }
    /// Sets the disposition at index `i` (`signo - 1`, below 64).
    pub fn set(&self, i: usize, a: SigAction) {
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(e) => e.into_inner(),
        };
        if let Some(slot) = g.0.get_mut(i) {
            *slot = a;
        }
    }
    /// A private copy (a forked child's dispositions no longer follow the parent's threads).
    pub fn unshare(&self) -> Self {
        let v = match self.0.lock() {
            Ok(g) => g.clone(),
            Err(e) => e.into_inner().clone(),
        };
        Self(std::sync::Arc::new(std::sync::Mutex::new(v)))
    }
}

impl std::ops::Index<usize> for SigActions {
    type Output = SigAction;
    fn index(&self, i: usize) -> &SigAction {
        &self.0[i]
    }
}

impl std::ops::IndexMut<usize> for SigActions {
    fn index_mut(&mut self, i: usize) -> &mut SigAction {
        &mut self.0[i]
    }
}

/// A recorded alternate signal stack (`stack_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub flags: i32,
    pub size: u64,
}

/// Syscall-layer state of a process.
#[derive(Default)]
pub struct SysState {
    /// Dispositions of signals 1..=64 (index `signo - 1`), shared with the other threads.
    pub sigactions: SharedSigActions,
    /// The blocked-signal mask (bit `signo - 1`).
    pub sigmask: u64,
    /// Guest-only signals queued for this process (see `signal`; their siginfo is in `sig`).
    pub sigpending: u64,
    /// The rest of the signal state (queued siginfo, sigsuspend's mask, the trampoline).
    pub sig: crate::linux::signal::SigExtra,
    pub altstack: Option<AltStack>,
    /// `set_tid_address` pointer (cleared and futex-woken at thread exit).
    pub clear_child_tid: u64,
    /// `set_robust_list` head and length.
    pub robust_list: (u64, u64),
    pub personality: u32,
    /// The thread name from `prctl(PR_SET_NAME)` (15 bytes + NUL).
    pub comm: [u8; 16],
    /// Guest ranges backed by files (madvise(DONTNEED) must not zero them).
    pub file_maps: RangeSet,
    /// Guest ranges that are host read-only (shared mappings of files opened read-only):
    /// mprotect must refuse to make them writable.
    pub ro_shared: RangeSet,
}

/// Syscall arguments a0..a5.
pub type Args = [u64; 6];

/// Handles the `ecall` at `cpu.pc`: runs the syscall in a7 and puts its result in a0.
/// Sets `p.exit` when the process ends.
pub fn dispatch(p: &mut Process, cpu: &mut CpuState) {
    let nr = cpu.x[17];
    let a: Args = [
        cpu.x[10], cpu.x[11], cpu.x[12], cpu.x[13], cpu.x[14], cpu.x[15],
    ];
    if p.opts.strace {
        let r = call(p, cpu, nr, &a);
        strace::log_syscall(p, nr, &a, r);
        set_result(p, cpu, r);
    } else {
        let r = call(p, cpu, nr, &a);
        set_result(p, cpu, r);
    }
}

#[inline(always)]
fn set_result(p: &Process, cpu: &mut CpuState, r: SysResult) {
    if p.exit.is_some() {
        return;
    }
    cpu.x[10] = match r {
        Ok(v) => v,
        Err(e) => (-(e.0 as i64)) as u64,
    };
}

/// Runs syscall `nr` with arguments `a`.
fn call(p: &mut Process, cpu: &mut CpuState, nr: u64, a: &Args) -> SysResult {
    use nr::*;
    if let Some(r) = crate::linux::jail::intercept(p, nr, a) {
        return r;
    }
    match nr {
        // Files.
        READ => fs::read(p, a),
        WRITE => fs::write(p, a),
        OPENAT => fs::openat(p, a),
        MEMFD_CREATE => fs::memfd_create(p, a),
        CLOSE => fs::close(a),
        READV => fs::readv(p, a, None),
        WRITEV => fs::writev(p, a, None),
        PREAD64 => fs::pread(p, a),
        PWRITE64 => fs::pwrite(p, a),
        // preadv/pwritev: on 64-bit the offset is all in pos_l (a3); pos_h is ignored.
        PREADV | PWRITEV if (a[3] as i64) < 0 => Err(EINVAL),
        PREADV => fs::readv(p, a, Some((a[3] as i64, 0))),
        PWRITEV => fs::writev(p, a, Some((a[3] as i64, 0))),
        PREADV2 => fs::readv(p, a, Some((a[3] as i64, a[5] as i32))),
        PWRITEV2 => fs::writev(p, a, Some((a[3] as i64, a[5] as i32))),
        LSEEK => fs::lseek(a),
        FSTAT => fs::fstat(p, a),
        NEWFSTATAT => fs::newfstatat(p, a),
        STATX => fs::statx(p, a),
        GETDENTS64 => fs::getdents64(p, a),
        READLINKAT => fs::readlinkat(p, a),
        FACCESSAT => fs::faccessat(p, a, 0),
        FACCESSAT2 => fs::faccessat(p, a, a[3]),
        MKDIRAT => fs::mkdirat(p, a),
        MKNODAT => fs::mknodat(p, a),
        UNLINKAT => fs::unlinkat(p, a),
        RENAMEAT2 => fs::renameat2(p, a),
        SYMLINKAT => fs::symlinkat(p, a),
        LINKAT => fs::linkat(p, a),
        FCHMOD => fs::passthrough(libc::SYS_fchmod, a, 2),
        FCHMODAT => fs::fchmodat(p, a, None),
        FCHMODAT2 => fs::fchmodat(p, a, Some(a[3])),
        FCHOWN => fs::passthrough(libc::SYS_fchown, a, 3),
        FCHOWNAT => fs::fchownat(p, a),
        UTIMENSAT => fs::utimensat(p, a),
        FTRUNCATE => fs::ftruncate(p, a),
        TRUNCATE => fs::truncate(p, a),
        FALLOCATE => fs::fallocate(p, a),
        FADVISE64 => fs::passthrough(libc::SYS_fadvise64, a, 4),
        FSYNC => fs::passthrough(libc::SYS_fsync, a, 1),
        FDATASYNC => fs::passthrough(libc::SYS_fdatasync, a, 1),
        SYNC => fs::passthrough(libc::SYS_sync, a, 0),
        SYNCFS => fs::passthrough(libc::SYS_syncfs, a, 1),
        FLOCK => fs::passthrough(libc::SYS_flock, a, 2),
        GETCWD => fs::getcwd(p, a),
        CHDIR => fs::chdir(p, a),
        FCHDIR => fs::passthrough(libc::SYS_fchdir, a, 1),
        DUP => fs::passthrough(libc::SYS_dup, a, 1),
        DUP3 => fs::passthrough(libc::SYS_dup3, a, 3),
        PIPE2 => fs::pipe2(p, a),
        FCNTL => fs::fcntl(p, a),
        IOCTL => fs::ioctl(p, a),
        STATFS => fs::statfs(p, a),
        FSTATFS => fs::fstatfs(p, a),
        SENDFILE => fs::sendfile(p, a),
        COPY_FILE_RANGE => fs::copy_file_range(p, a),
        PPOLL => fs::ppoll(p, a),
        UMASK => fs::passthrough(libc::SYS_umask, a, 1),
        CLOSE_RANGE => fs::passthrough(libc::SYS_close_range, a, 3),

        // Memory.
        // (One thread at a time: see `threads::with_mm`.)
        BRK => with_mm(p, None, |p| Ok(mm::brk(p, a[0]))),
        MMAP => {
            const MAP_FIXED: u64 = 0x10;
            const MAP_FIXED_NOREPLACE: u64 = 0x100000;
            let over = (a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0).then_some((a[0], a[1]));
            with_mm(p, over, |p| mm::mmap(p, a))
        }
        MUNMAP => with_mm(p, Some((a[0], a[1])), |p| mm::munmap(p, a)),
        MPROTECT => with_mm(p, Some((a[0], a[1])), |p| mm::mprotect(p, a)),
        MREMAP => with_mm(p, Some((a[0], a[1])), |p| mm::mremap(p, a)),
        MADVISE => with_mm(p, Some((a[0], a[1])), |p| mm::madvise(p, a)),
        MSYNC => mm::msync(p, a),
        MLOCK | MUNLOCK | MLOCK2 | MLOCKALL | MUNLOCKALL => Ok(0),
        MEMBARRIER => process::membarrier(a),

        // Process and identity.
        EXIT => {
            crate::linux::threads::exit(p, (a[0] & 0xff) as i32);
            Ok(0)
        }
        EXIT_GROUP => {
            p.exit = Some(Exit::Code((a[0] & 0xff) as i32));
            Ok(0)
        }
        GETPID => Ok(process::getpid()),
        GETTID => Ok(signal::gettid() as u64),
        GETPPID => fs::passthrough(libc::SYS_getppid, a, 0),
        GETUID => fs::passthrough(libc::SYS_getuid, a, 0),
        GETEUID => fs::passthrough(libc::SYS_geteuid, a, 0),
        GETGID => fs::passthrough(libc::SYS_getgid, a, 0),
        GETEGID => fs::passthrough(libc::SYS_getegid, a, 0),
        GETGROUPS => process::getgroups(p, a),
        GETRESUID => process::getres(p, a, true),
        GETRESGID => process::getres(p, a, false),
        SETUID | SETGID | SETREUID | SETREGID | SETRESUID | SETRESGID | SETGROUPS => {
            process::setid(nr, a)
        }
        SETFSUID | SETFSGID => process::setfsid(nr),
        SETPGID => fs::passthrough(libc::SYS_setpgid, a, 2),
        GETPGID => fs::passthrough(libc::SYS_getpgid, a, 1),
        GETSID => fs::passthrough(libc::SYS_getsid, a, 1),
        SETSID => fs::passthrough(libc::SYS_setsid, a, 0),
        UNAME => process::uname(p, a),
        PRLIMIT64 => process::prlimit(p, a[0], a[1], a[2], a[3]),
        GETRLIMIT => process::prlimit(p, 0, a[0], 0, a[1]),
        SETRLIMIT => process::prlimit(p, 0, a[0], a[1], 0),
        SET_TID_ADDRESS => {
            p.sys.clear_child_tid = a[0];
            Ok(signal::gettid() as u64)
        }
        SET_ROBUST_LIST => {
            if a[1] != 24 {
                return Err(EINVAL);
            }
            p.sys.robust_list = (a[0], a[1]);
            Ok(0)
        }
        GET_ROBUST_LIST => process::get_robust_list(p, a),
        SCHED_GETAFFINITY => process::sched_getaffinity(p, a),
        SCHED_SETAFFINITY => Ok(0),
        SCHED_YIELD => fs::passthrough(libc::SYS_sched_yield, a, 0),
        GETCPU => process::getcpu(p, a),
        GETRUSAGE => process::getrusage(p, a),
        SYSINFO => process::sysinfo(p, a),
        TIMES => process::times(p, a),
        GETRANDOM => process::getrandom(p, a),
        PERSONALITY => Ok(process::personality(p, a[0])),
        PRCTL => process::prctl(p, a),
        KILL => signal::kill(p, a[0] as i32, a[1]),
        TKILL => signal::tgkill(p, None, a[0] as i32, a[1]),
        TGKILL => signal::tgkill(p, Some(a[0] as i32), a[1] as i32, a[2]),
        FUTEX => futex::futex(p, a),
        CLONE => procs::clone(p, cpu, a),
        CLONE3 => procs::clone3(p, cpu, a),
        EXECVE => procs::execve(p, a),
        WAIT4 => procs::wait4(p, a),
        WAITID => procs::waitid(p, a),

        // Signals (delivery in `signal`; rt_sigreturn is handled by the run loop).
        RT_SIGACTION => process::rt_sigaction(p, a),
        RT_SIGPROCMASK => process::rt_sigprocmask(p, a),
        RT_SIGPENDING => signal::sigpending(p, a),
        RT_SIGSUSPEND => signal::sigsuspend(p, a),
        RT_SIGTIMEDWAIT => signal::sigtimedwait(p, a),
        RT_SIGQUEUEINFO => signal::sigqueueinfo(p, a[0] as i32, None, a[1], a[2]),
        RT_TGSIGQUEUEINFO => signal::sigqueueinfo(p, a[0] as i32, Some(a[1] as i32), a[2], a[3]),
        SIGALTSTACK => process::sigaltstack(p, cpu, a),

        // Time.
        CLOCK_GETTIME => time::clock_gettime(p, a),
        CLOCK_GETRES => time::clock_getres(p, a),
        GETTIMEOFDAY => time::gettimeofday(p, a),
        NANOSLEEP => time::nanosleep(p, a),
        CLOCK_NANOSLEEP => time::clock_nanosleep(p, a),
        GETITIMER => time::getitimer(p, a),
        SETITIMER => time::setitimer(p, a),
        TIMER_CREATE => time::timer_create(p, a),
        TIMER_SETTIME => time::timer_settime(p, a),
        TIMER_GETTIME => time::timer_gettime(p, a),
        TIMER_GETOVERRUN => time::timer_simple(libc::SYS_timer_getoverrun, a),
        TIMER_DELETE => time::timer_simple(libc::SYS_timer_delete, a),

        // riscv-specific.
        RISCV_FLUSH_ICACHE => {
            if a[2] & !1 != 0 {
                return Err(EINVAL);
            }
            crate::linux::threads::flush_icache(p, a[0], a[1], a[2]);
            Ok(0)
        }
        RISCV_HWPROBE => process::riscv_hwprobe(p, a),

        // Sockets, epoll, eventfd, pselect6 (net.rs).
        SOCKET => net::socket(a),
        SOCKETPAIR => net::socketpair(p, a),
        BIND => net::bind_connect(p, a, true),
        CONNECT => net::bind_connect(p, a, false),
        LISTEN => net::listen(a),
        ACCEPT => net::accept4(p, a, 0),
        ACCEPT4 => net::accept4(p, a, a[3]),
        GETSOCKNAME => net::sockname(p, a, false),
        GETPEERNAME => net::sockname(p, a, true),
        SENDTO => net::sendto(p, a),
        RECVFROM => net::recvfrom(p, a),
        SETSOCKOPT => net::setsockopt(p, a),
        GETSOCKOPT => net::getsockopt(p, a),
        SHUTDOWN => net::shutdown(a),
        SENDMSG => net::sendmsg(p, a),
        RECVMSG => net::recvmsg(p, a),
        SENDMMSG => net::mmsg(p, a, false),
        RECVMMSG => net::mmsg(p, a, true),
        EPOLL_CREATE1 => net::epoll_create1(a),
        EPOLL_CTL => net::epoll_ctl(p, a),
        EPOLL_PWAIT => net::epoll_pwait(p, a, false),
        EPOLL_PWAIT2 => net::epoll_pwait(p, a, true),
        EVENTFD2 => net::eventfd2(a),
        PSELECT6 => net::pselect6(p, a),

        // Not implemented: rseq (glibc copes) and every syscall not listed above.
        _ => Err(ENOSYS),
    }
}

/// Logs a fatal fault under `--strace` (as strace prints the signal that kills a process).
pub fn log_fault(p: &mut Process, cpu: &CpuState, e: &Exception, signo: i32) {
    if p.opts.strace {
        strace::log_fault(p, cpu, e, signo);
    }
}

/// Logs rt_sigreturn (handled by the run loop, not `dispatch`) under `--strace`.
pub fn log_sigreturn(p: &mut Process, cpu: &CpuState) {
    if p.opts.strace {
        strace::log_syscall(p, nr::RT_SIGRETURN, &[0; 6], Ok(cpu.x[10]));
    }
}

/// Largest count read/write-like syscalls transfer at once (Linux's MAX_RW_COUNT).
pub const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// Longest path accepted (PATH_MAX, including the NUL).
pub const PATH_MAX: usize = 4096;

/// Reads a guest path argument: EFAULT for a bad pointer, ENAMETOOLONG past PATH_MAX.
pub(crate) fn read_path(p: &Process, addr: u64) -> Result<Vec<u8>, Errno> {
    match p.mem.read_cstr(addr, PATH_MAX) {
        Ok(v) => Ok(v),
        Err(e) => {
            if p.mem.page_prot(e.tval) & crate::mem::prot::READ != 0 {
                Err(ENAMETOOLONG)
            } else {
                Err(EFAULT)
            }
        }
    }
}

/// A host C string from guest path bytes (which contain no NUL by construction).
pub(crate) fn cstring(v: Vec<u8>) -> Result<CString, Errno> {
    CString::new(v).map_err(|_| EINVAL)
}

/// Result of a raw host syscall: `-1` means the host errno.
pub(crate) fn cvt(r: libc::c_long) -> SysResult {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

/// Result of a host libc call returning an int.
pub(crate) fn cvt_i(r: libc::c_int) -> SysResult {
    cvt(r as libc::c_long)
}
