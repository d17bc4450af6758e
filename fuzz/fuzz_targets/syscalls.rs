//! Fuzz target: system calls with random numbers and arguments, inside a `--root` jail in a
//! temporary directory. Every call must return (an errno or a result), never crash the
//! host process, never block forever, never touch a host file outside the root.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use runtime::linux::jail::{Root, Sandbox};
use runtime::linux::syscall::nr;
use runtime::linux::Options;
use xlate_fuzz::*;

/// The jail root (a fresh temporary directory) and the first descriptor the target may close.
fn setup() -> &'static (Arc<Root>, i32) {
    static S: OnceLock<(Arc<Root>, i32)> = OnceLock::new();
    S.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("xlate-fuzz-root-{}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join("sub"));
        let _ = std::fs::write(dir.join("file"), b"inside\n");
        let root = Arc::new(Root::new(&dir).expect("jail root"));
        // SAFETY: plain libc calls at start-up: stdin from /dev/null (reads never block) and
        // the cwd inside the root, as `xlate run --root` does.
        let first_free = unsafe {
            let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            libc::dup2(fd, 0);
            libc::close(fd);
            libc::fcntl(0, libc::F_DUPFD, 3)
        };
        // SAFETY: closing the probe descriptor just made.
        unsafe { libc::close(first_free) };
        let _ = std::env::set_current_dir(&dir);
        (root, first_free)
    })
}

/// Syscalls that would block, or change the fuzzing process itself (its descriptors,
/// identity, session, signals) in ways that would stop libFuzzer working.
fn skipped(n: u64) -> bool {
    use nr::*;
    matches!(
        n,
        CLOSE
            | CLOSE_RANGE
            | DUP3
            | FCNTL
            | NANOSLEEP
            | CLOCK_NANOSLEEP
            | PPOLL
            | PSELECT6
            | RT_SIGSUSPEND
            | FUTEX
            | WAIT4
            | SETSID
            | SETPGID
            | SETUID
            | SETGID
            | SETREUID
            | SETREGID
            | SETRESUID
            | SETRESGID
            | SETGROUPS
            | SETFSUID
            | SETFSGID
            | FLOCK
            | SETRLIMIT
            | PRLIMIT64
            | CLONE
            | CLONE3
            | KILL
            | TKILL
            | TGKILL
            | EXECVE
            | FCHDIR
            | IOCTL
            | READ
            | READV
            | PREAD64
            | PREADV
            | PREADV2
            | SENDFILE
            | COPY_FILE_RANGE
    )
}

fuzz_target!(|data: &[u8]| {
    let (root, first_free) = setup();
    let opts = Options {
        sandbox: Sandbox {
            root: Some(root.clone()),
            read_only: false,
            no_network: true,
        },
        ..Options::default()
    };
    let (regs, d, _) = split(data);
    let Some(mut p) = guest(&[], d, opts) else {
        return;
    };
    let mut cpu = cpu(regs);
    // The syscall number: mostly the implemented range, sometimes anything.
    let n = cpu.x[17] % 512;
    if skipped(n) {
        return;
    }
    cpu.x[17] = n;
    // Pointer arguments: half of them into the data page (with a path-like string there).
    let _ = p.mem.write_bytes(DATA + 0x800, b"file\0");
    for (i, r) in (10..16).enumerate() {
        if cpu.x[31] >> i & 1 != 0 {
            cpu.x[r] = DATA + (cpu.x[r] & (DATA_LEN - 1));
        }
    }
    runtime::linux::syscall::dispatch(&mut p, &mut cpu);
    // SAFETY: closing descriptors the syscall may have opened (not libFuzzer's).
    unsafe { libc::syscall(libc::SYS_close_range, *first_free, u32::MAX, 0) };
    let _ = std::env::set_current_dir(root.host_path());
});
