//! `--strace`: one line per syscall in the style of strace and qemu-user's `-strace`
//! (`openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3`, `= -1 ENOENT (No such file or directory)`),
//! with riscv64 asm-generic syscall names. Only reached when `--strace` is on.

use std::fmt::Write as _;
use std::io::Write as _;

use translator::{CpuState, Exception};

use super::errno::{self, Errno};
use super::fs::o;
use super::mm;
use super::{nr, Args, SysResult};
use crate::linux::{Exit, Process};

/// How to print one argument.
#[derive(Clone, Copy)]
enum A {
    /// Signed decimal.
    D,
    /// Unsigned decimal.
    U,
    /// Hexadecimal.
    X,
    /// Pointer (NULL or hex).
    P,
    /// Descriptor (32-bit signed).
    Fd,
    /// Directory descriptor (AT_FDCWD or a descriptor).
    Dir,
    /// NUL-terminated path.
    Path,
    /// Input buffer whose length is argument `n`.
    In(usize),
    /// Output buffer filled with as many bytes as the result says.
    Out,
    /// Octal mode.
    Mode,
    /// openat's mode: printed only with O_CREAT or O_TMPFILE in argument 2.
    OMode,
    OFlags,
    Prot,
    MapFlags,
    Sig,
    Clock,
    AtFlags,
}

/// How to print the result.
#[derive(Clone, Copy, PartialEq)]
enum R {
    D,
    X,
}

use A::*;

fn spec(n: u64) -> Option<(&'static [A], R)> {
    use nr::*;
    let d = R::D;
    Some(match n {
        READ => (&[Fd, Out, U], d),
        PREAD64 => (&[Fd, Out, U, D], d),
        WRITE => (&[Fd, In(2), U], d),
        PWRITE64 => (&[Fd, In(2), U, D], d),
        OPENAT => (&[Dir, Path, OFlags, OMode], d),
        CLOSE | DUP | FSYNC | FDATASYNC | FCHDIR | SYNCFS => (&[Fd], d),
        DUP3 => (&[Fd, Fd, OFlags], d),
        READV | WRITEV => (&[Fd, P, D], d),
        PREADV | PWRITEV => (&[Fd, P, D, D], d),
        PREADV2 | PWRITEV2 => (&[Fd, P, D, D, X, X], d),
        LSEEK => (&[Fd, D, D], d),
        FSTAT | FSTATFS => (&[Fd, P], d),
        NEWFSTATAT => (&[Dir, Path, P, AtFlags], d),
        STATX => (&[Dir, Path, AtFlags, X, P], d),
        GETDENTS64 => (&[Fd, P, U], d),
        READLINKAT => (&[Dir, Path, Out, U], d),
        FACCESSAT => (&[Dir, Path, Mode], d),
        FACCESSAT2 => (&[Dir, Path, Mode, AtFlags], d),
        MKDIRAT => (&[Dir, Path, Mode], d),
        MKNODAT => (&[Dir, Path, Mode, X], d),
        UNLINKAT => (&[Dir, Path, AtFlags], d),
        RENAMEAT2 => (&[Dir, Path, Dir, Path, X], d),
        SYMLINKAT => (&[Path, Dir, Path], d),
        LINKAT => (&[Dir, Path, Dir, Path, AtFlags], d),
        FCHMOD => (&[Fd, Mode], d),
        FCHMODAT => (&[Dir, Path, Mode], d),
        FCHMODAT2 => (&[Dir, Path, Mode, AtFlags], d),
        FCHOWN => (&[Fd, D, D], d),
        FCHOWNAT => (&[Dir, Path, D, D, AtFlags], d),
        UTIMENSAT => (&[Dir, Path, P, AtFlags], d),
        FTRUNCATE => (&[Fd, D], d),
        TRUNCATE => (&[Path, D], d),
        FALLOCATE => (&[Fd, X, D, D], d),
        FADVISE64 => (&[Fd, D, D, D], d),
        FLOCK => (&[Fd, X], d),
        GETCWD => (&[P, U], d),
        CHDIR => (&[Path], d),
        PIPE2 => (&[P, OFlags], d),
        FCNTL => (&[Fd, D, X], d),
        IOCTL => (&[Fd, X, X], d),
        STATFS => (&[Path, P], d),
        SENDFILE => (&[Fd, Fd, P, U], d),
        COPY_FILE_RANGE => (&[Fd, P, Fd, P, U, X], d),
        PPOLL => (&[P, U, P, P, U], d),
        UMASK => (&[Mode], R::X),
        CLOSE_RANGE => (&[Fd, Fd, X], d),
        BRK => (&[P], R::X),
        MMAP => (&[P, U, Prot, MapFlags, Fd, X], R::X),
        MUNMAP => (&[P, U], d),
        MPROTECT => (&[P, U, Prot], d),
        MREMAP => (&[P, U, U, X, P], R::X),
        MADVISE => (&[P, U, D], d),
        MSYNC => (&[P, U, X], d),
        MLOCK | MUNLOCK => (&[P, U], d),
        MLOCK2 => (&[P, U, X], d),
        MLOCKALL => (&[X], d),
        EXIT | EXIT_GROUP => (&[D], d),
        SET_TID_ADDRESS => (&[P], d),
        SET_ROBUST_LIST => (&[P, U], d),
        GET_ROBUST_LIST => (&[D, P, P], d),
        SCHED_GETAFFINITY | SCHED_SETAFFINITY => (&[D, U, P], d),
        GETRESUID | GETRESGID => (&[P, P, P], d),
        GETGROUPS | SETGROUPS => (&[D, P], d),
        SETUID | SETGID | SETFSUID | SETFSGID => (&[D], d),
        SETREUID | SETREGID => (&[D, D], d),
        SETRESUID | SETRESGID => (&[D, D, D], d),
        SETPGID => (&[D, D], d),
        GETPGID | GETSID => (&[D], d),
        UNAME | SYSINFO | TIMES => (&[P], d),
        PRLIMIT64 => (&[D, D, P, P], d),
        GETRLIMIT | SETRLIMIT => (&[D, P], d),
        GETRUSAGE => (&[D, P], d),
        GETRANDOM => (&[P, U, X], d),
        PERSONALITY => (&[X], R::X),
        PRCTL => (&[D, X, X, X, X], d),
        KILL => (&[D, Sig], d),
        TKILL => (&[D, Sig], d),
        TGKILL => (&[D, D, Sig], d),
        FUTEX => (&[P, D, X, P, P, X], d),
        RT_SIGACTION => (&[Sig, P, P, U], d),
        RT_SIGPROCMASK => (&[D, P, P, U], d),
        RT_SIGPENDING => (&[P, U], d),
        SIGALTSTACK => (&[P, P], d),
        CLOCK_GETTIME | CLOCK_GETRES => (&[Clock, P], d),
        GETTIMEOFDAY => (&[P, P], d),
        NANOSLEEP => (&[P, P], d),
        CLOCK_NANOSLEEP => (&[Clock, X, P, P], d),
        GETCPU => (&[P, P, P], d),
        MEMBARRIER => (&[D, X, D], d),
        RISCV_FLUSH_ICACHE => (&[P, P, X], d),
        RISCV_HWPROBE => (&[P, U, U, P, X], d),
        RSEQ => (&[P, U, X, X], d),
        GETPID | GETPPID | GETTID | GETUID | GETEUID | GETGID | GETEGID | SETSID | SCHED_YIELD
        | SYNC | MUNLOCKALL | RT_SIGRETURN => (&[], d),
        _ => return None,
    })
}

/// The asm-generic name of a riscv64 syscall number.
pub fn name(n: u64) -> Option<&'static str> {
    Some(match n {
        0 => "io_setup",
        1 => "io_destroy",
        2 => "io_submit",
        3 => "io_cancel",
        4 => "io_getevents",
        5 => "setxattr",
        6 => "lsetxattr",
        7 => "fsetxattr",
        8 => "getxattr",
        9 => "lgetxattr",
        10 => "fgetxattr",
        11 => "listxattr",
        12 => "llistxattr",
        13 => "flistxattr",
        14 => "removexattr",
        15 => "lremovexattr",
        16 => "fremovexattr",
        17 => "getcwd",
        18 => "lookup_dcookie",
        19 => "eventfd2",
        20 => "epoll_create1",
        21 => "epoll_ctl",
        22 => "epoll_pwait",
        23 => "dup",
        24 => "dup3",
        25 => "fcntl",
        26 => "inotify_init1",
        27 => "inotify_add_watch",
        28 => "inotify_rm_watch",
        29 => "ioctl",
        30 => "ioprio_set",
        31 => "ioprio_get",
        32 => "flock",
        33 => "mknodat",
        34 => "mkdirat",
        35 => "unlinkat",
        36 => "symlinkat",
        37 => "linkat",
        39 => "umount2",
        40 => "mount",
        41 => "pivot_root",
        42 => "nfsservctl",
        43 => "statfs",
        44 => "fstatfs",
        45 => "truncate",
        46 => "ftruncate",
        47 => "fallocate",
        48 => "faccessat",
        49 => "chdir",
        50 => "fchdir",
        51 => "chroot",
        52 => "fchmod",
        53 => "fchmodat",
        54 => "fchownat",
        55 => "fchown",
        56 => "openat",
        57 => "close",
        58 => "vhangup",
        59 => "pipe2",
        60 => "quotactl",
        61 => "getdents64",
        62 => "lseek",
        63 => "read",
        64 => "write",
        65 => "readv",
        66 => "writev",
        67 => "pread64",
        68 => "pwrite64",
        69 => "preadv",
        70 => "pwritev",
        71 => "sendfile",
        72 => "pselect6",
        73 => "ppoll",
        74 => "signalfd4",
        75 => "vmsplice",
        76 => "splice",
        77 => "tee",
        78 => "readlinkat",
        79 => "newfstatat",
        80 => "fstat",
        81 => "sync",
        82 => "fsync",
        83 => "fdatasync",
        84 => "sync_file_range",
        85 => "timerfd_create",
        86 => "timerfd_settime",
        87 => "timerfd_gettime",
        88 => "utimensat",
        89 => "acct",
        90 => "capget",
        91 => "capset",
        92 => "personality",
        93 => "exit",
        94 => "exit_group",
        95 => "waitid",
        96 => "set_tid_address",
        97 => "unshare",
        98 => "futex",
        99 => "set_robust_list",
        100 => "get_robust_list",
        101 => "nanosleep",
        102 => "getitimer",
        103 => "setitimer",
        104 => "kexec_load",
        105 => "init_module",
        106 => "delete_module",
        107 => "timer_create",
        108 => "timer_gettime",
        109 => "timer_getoverrun",
        110 => "timer_settime",
        111 => "timer_delete",
        112 => "clock_settime",
        113 => "clock_gettime",
        114 => "clock_getres",
        115 => "clock_nanosleep",
        116 => "syslog",
        117 => "ptrace",
        118 => "sched_setparam",
        119 => "sched_setscheduler",
        120 => "sched_getscheduler",
        121 => "sched_getparam",
        122 => "sched_setaffinity",
        123 => "sched_getaffinity",
        124 => "sched_yield",
        125 => "sched_get_priority_max",
        126 => "sched_get_priority_min",
        127 => "sched_rr_get_interval",
        128 => "restart_syscall",
        129 => "kill",
        130 => "tkill",
        131 => "tgkill",
        132 => "sigaltstack",
        133 => "rt_sigsuspend",
        134 => "rt_sigaction",
        135 => "rt_sigprocmask",
        136 => "rt_sigpending",
        137 => "rt_sigtimedwait",
        138 => "rt_sigqueueinfo",
        139 => "rt_sigreturn",
        140 => "setpriority",
        141 => "getpriority",
        142 => "reboot",
        143 => "setregid",
        144 => "setgid",
        145 => "setreuid",
        146 => "setuid",
        147 => "setresuid",
        148 => "getresuid",
        149 => "setresgid",
        150 => "getresgid",
        151 => "setfsuid",
        152 => "setfsgid",
        153 => "times",
        154 => "setpgid",
        155 => "getpgid",
        156 => "getsid",
        157 => "setsid",
        158 => "getgroups",
        159 => "setgroups",
        160 => "uname",
        161 => "sethostname",
        162 => "setdomainname",
        163 => "getrlimit",
        164 => "setrlimit",
        165 => "getrusage",
        166 => "umask",
        167 => "prctl",
        168 => "getcpu",
        169 => "gettimeofday",
        170 => "settimeofday",
        171 => "adjtimex",
        172 => "getpid",
        173 => "getppid",
        174 => "getuid",
        175 => "geteuid",
        176 => "getgid",
        177 => "getegid",
        178 => "gettid",
        179 => "sysinfo",
        180 => "mq_open",
        181 => "mq_unlink",
        182 => "mq_timedsend",
        183 => "mq_timedreceive",
        184 => "mq_notify",
        185 => "mq_getsetattr",
        186 => "msgget",
        187 => "msgctl",
        188 => "msgrcv",
        189 => "msgsnd",
        190 => "semget",
        191 => "semctl",
        192 => "semtimedop",
        193 => "semop",
        194 => "shmget",
        195 => "shmctl",
        196 => "shmat",
        197 => "shmdt",
        198 => "socket",
        199 => "socketpair",
        200 => "bind",
        201 => "listen",
        202 => "accept",
        203 => "connect",
        204 => "getsockname",
        205 => "getpeername",
        206 => "sendto",
        207 => "recvfrom",
        208 => "setsockopt",
        209 => "getsockopt",
        210 => "shutdown",
        211 => "sendmsg",
        212 => "recvmsg",
        213 => "readahead",
        214 => "brk",
        215 => "munmap",
        216 => "mremap",
        217 => "add_key",
        218 => "request_key",
        219 => "keyctl",
        220 => "clone",
        221 => "execve",
        222 => "mmap",
        223 => "fadvise64",
        224 => "swapon",
        225 => "swapoff",
        226 => "mprotect",
        227 => "msync",
        228 => "mlock",
        229 => "munlock",
        230 => "mlockall",
        231 => "munlockall",
        232 => "mincore",
        233 => "madvise",
        234 => "remap_file_pages",
        235 => "mbind",
        236 => "get_mempolicy",
        237 => "set_mempolicy",
        238 => "migrate_pages",
        239 => "move_pages",
        240 => "rt_tgsigqueueinfo",
        241 => "perf_event_open",
        242 => "accept4",
        243 => "recvmmsg",
        244 => "arch_specific_syscall",
        258 => "riscv_hwprobe",
        259 => "riscv_flush_icache",
        260 => "wait4",
        261 => "prlimit64",
        262 => "fanotify_init",
        263 => "fanotify_mark",
        266 => "clock_adjtime",
        267 => "syncfs",
        268 => "setns",
        269 => "sendmmsg",
        270 => "process_vm_readv",
        271 => "process_vm_writev",
        272 => "kcmp",
        273 => "finit_module",
        274 => "sched_setattr",
        275 => "sched_getattr",
        276 => "renameat2",
        277 => "seccomp",
        278 => "getrandom",
        279 => "memfd_create",
        280 => "bpf",
        281 => "execveat",
        282 => "userfaultfd",
        283 => "membarrier",
        284 => "mlock2",
        285 => "copy_file_range",
        286 => "preadv2",
        287 => "pwritev2",
        288 => "pkey_mprotect",
        289 => "pkey_alloc",
        290 => "pkey_free",
        291 => "statx",
        292 => "io_pgetevents",
        293 => "rseq",
        294 => "kexec_file_load",
        424 => "pidfd_send_signal",
        425 => "io_uring_setup",
        426 => "io_uring_enter",
        427 => "io_uring_register",
        428 => "open_tree",
        429 => "move_mount",
        430 => "fsopen",
        431 => "fsconfig",
        432 => "fsmount",
        433 => "fspick",
        434 => "pidfd_open",
        435 => "clone3",
        436 => "close_range",
        437 => "openat2",
        438 => "pidfd_getfd",
        439 => "faccessat2",
        440 => "process_madvise",
        441 => "epoll_pwait2",
        442 => "mount_setattr",
        443 => "quotactl_fd",
        444 => "landlock_create_ruleset",
        445 => "landlock_add_rule",
        446 => "landlock_restrict_self",
        447 => "memfd_secret",
        448 => "process_mrelease",
        449 => "futex_waitv",
        450 => "set_mempolicy_home_node",
        451 => "cachestat",
        452 => "fchmodat2",
        453 => "map_shadow_stack",
        454 => "futex_wake",
        455 => "futex_wait",
        456 => "futex_requeue",
        457 => "statmount",
        458 => "listmount",
        459 => "lsm_get_self_attr",
        460 => "lsm_set_self_attr",
        461 => "lsm_list_modules",
        462 => "mseal",
        _ => return None,
    })
}

/// Name of signal `s` (generic numbering).
pub fn signame(s: i32) -> String {
    const N: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match s {
        0..=31 => N[s as usize].to_string(),
        32..=64 => format!("SIGRT_{}", s - 32),
        _ => s.to_string(),
    }
}

fn quote(out: &mut String, b: &[u8], limit: usize) {
    out.push('"');
    for &c in b.iter().take(limit) {
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\{c:o}");
            }
        }
    }
    out.push('"');
    if b.len() > limit {
        out.push_str("...");
    }
}

fn flags(out: &mut String, v: u64, names: &[(u64, &str)]) {
    let mut rest = v;
    let mut first = true;
    for &(bit, n) in names {
        if bit != 0 && rest & bit == bit {
            if !first {
                out.push('|');
            }
            out.push_str(n);
            rest &= !bit;
            first = false;
        }
    }
    if rest != 0 || first {
        if !first {
            out.push('|');
        }
        let _ = write!(out, "{rest:#x}");
    }
}

fn ptr(out: &mut String, v: u64) {
    if v == 0 {
        out.push_str("NULL");
    } else {
        let _ = write!(out, "{v:#x}");
    }
}

fn buf(out: &mut String, p: &Process, addr: u64, len: u64) {
    let n = len.min(32);
    let mut b = vec![0u8; n as usize];
    if p.mem.read_bytes(addr, &mut b).is_ok() {
        quote(out, &b, 32);
        if len > 32 {
            out.push_str("...");
        }
    } else {
        ptr(out, addr);
    }
}

fn arg(out: &mut String, p: &Process, kind: A, a: &Args, i: usize, r: &SysResult) {
    let v = a[i];
    match kind {
        D => {
            let _ = write!(out, "{}", v as i64);
        }
        U => {
            let _ = write!(out, "{v}");
        }
        X => {
            let _ = write!(out, "{v:#x}");
        }
        P => ptr(out, v),
        Fd => {
            let _ = write!(out, "{}", v as i32);
        }
        Dir => {
            if v as i32 == -100 {
                out.push_str("AT_FDCWD");
            } else {
                let _ = write!(out, "{}", v as i32);
            }
        }
        Path => match p.mem.read_cstr(v, super::PATH_MAX) {
            Ok(s) => quote(out, &s, 4096),
            Err(_) => ptr(out, v),
        },
        In(n) => buf(out, p, v, a[n]),
        Out => match r {
            Ok(len) => buf(out, p, v, *len),
            Err(_) => ptr(out, v),
        },
        Mode | OMode => {
            if v as u32 == 0 {
                out.push('0');
            } else {
                let _ = write!(out, "0{:o}", v as u32);
            }
        }
        OFlags => {
            let acc = match v & o::ACCMODE {
                0 => "O_RDONLY",
                o::WRONLY => "O_WRONLY",
                o::RDWR => "O_RDWR",
                _ => "O_ACCMODE",
            };
            out.push_str(acc);
            let rest = v & !o::ACCMODE & 0xffff_ffff;
            if rest != 0 {
                out.push('|');
                flags(out, rest, o::NAMES);
            }
        }
        Prot => {
            if v == 0 {
                out.push_str("PROT_NONE");
            } else {
                flags(
                    out,
                    v,
                    &[
                        (mm::PROT_READ, "PROT_READ"),
                        (mm::PROT_WRITE, "PROT_WRITE"),
                        (mm::PROT_EXEC, "PROT_EXEC"),
                    ],
                );
            }
        }
        MapFlags => flags(
            out,
            v,
            &[
                (mm::MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE"),
                (mm::MAP_SHARED, "MAP_SHARED"),
                (mm::MAP_PRIVATE, "MAP_PRIVATE"),
                (mm::MAP_FIXED, "MAP_FIXED"),
                (mm::MAP_ANONYMOUS, "MAP_ANONYMOUS"),
                (0x4000, "MAP_NORESERVE"),
                (0x8000, "MAP_POPULATE"),
                (0x20000, "MAP_STACK"),
                (mm::MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
            ],
        ),
        Sig => out.push_str(&signame(v as i32)),
        Clock => {
            const C: [&str; 12] = [
                "CLOCK_REALTIME",
                "CLOCK_MONOTONIC",
                "CLOCK_PROCESS_CPUTIME_ID",
                "CLOCK_THREAD_CPUTIME_ID",
                "CLOCK_MONOTONIC_RAW",
                "CLOCK_REALTIME_COARSE",
                "CLOCK_MONOTONIC_COARSE",
                "CLOCK_BOOTTIME",
                "CLOCK_REALTIME_ALARM",
                "CLOCK_BOOTTIME_ALARM",
                "10",
                "CLOCK_TAI",
            ];
            match C.get(v as usize) {
                Some(n) => out.push_str(n),
                None => {
                    let _ = write!(out, "{}", v as i32);
                }
            }
        }
        AtFlags => flags(
            out,
            v,
            &[
                (0x100, "AT_SYMLINK_NOFOLLOW"),
                (0x200, "AT_REMOVEDIR"),
                (0x400, "AT_SYMLINK_FOLLOW"),
                (0x800, "AT_NO_AUTOMOUNT"),
                (0x1000, "AT_EMPTY_PATH"),
            ],
        ),
    }
}

fn emit(p: &mut Process, line: &str) {
    match p.strace_out.as_mut() {
        Some(w) => {
            let _ = w.write_all(line.as_bytes());
            let _ = w.flush();
        }
        None => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}

fn exit_line(out: &mut String, e: Exit) {
    match e {
        Exit::Code(c) => {
            let _ = writeln!(out, "+++ exited with {c} +++");
        }
        Exit::Signal(s) => {
            let _ = writeln!(out, "+++ killed by {} +++", signame(s));
        }
        Exit::Limit(hit) => {
            let _ = writeln!(out, "+++ {hit} +++");
        }
    }
}

/// Logs syscall `n` with arguments `a` and its result `r` (called after the syscall ran).
pub fn log_syscall(p: &mut Process, n: u64, a: &Args, r: SysResult) {
    let mut out = String::with_capacity(128);
    // The thread id, as strace -f prints it (the process id in a single-threaded guest).
    let _ = write!(out, "{} ", crate::linux::signal::gettid());
    let kinds = spec(n);
    match name(n) {
        Some(s) => out.push_str(s),
        None => {
            let _ = write!(out, "syscall_{n}");
        }
    }
    out.push('(');
    match kinds {
        Some((ks, _)) => {
            for (i, &k) in ks.iter().enumerate() {
                if matches!(k, OMode) && a[2] & o::CREAT == 0 && a[2] & o::TMPFILE != o::TMPFILE {
                    continue;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                arg(&mut out, p, k, a, i, &r);
            }
        }
        None => {
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{v:#x}");
            }
        }
    }
    out.push_str(") = ");
    if let Some(e) = p.exit {
        out.push_str("?\n");
        exit_line(&mut out, e);
        emit(p, &out);
        return;
    }
    match r {
        Ok(v) => {
            if kinds.is_some_and(|(_, rk)| rk == R::X) {
                let _ = write!(out, "{v:#x}");
            } else {
                let _ = write!(out, "{}", v as i64);
            }
        }
        Err(Errno(e)) => {
            let _ = write!(
                out,
                "-1 {} ({})",
                errno::name(e).unwrap_or("E?"),
                errno::message(e)
            );
        }
    }
    out.push('\n');
    emit(p, &out);
}

/// Logs the fatal signal a fault raises, as strace does, with the faulting pc.
pub fn log_fault(p: &mut Process, cpu: &CpuState, e: &Exception, signo: i32) {
    let (_, code, addr) = crate::linux::signal::fault_code(p, cpu, e);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} --- {} {{si_signo={}, si_code={}, si_addr={:#x}}} (pc={:#x}) ---",
        std::process::id(),
        signame(signo),
        signame(signo),
        code,
        addr,
        cpu.pc
    );
    exit_line(&mut out, Exit::Signal(signo));
    emit(p, &out);
}
