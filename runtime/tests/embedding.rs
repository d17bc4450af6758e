//! The runtime inside another program: signals the embedder uses for itself.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use runtime::linux::signal::keep_from_guest;
use runtime::linux::{self, Engine, Exit, Options, Process};
use runtime::mem::{prot, GuestMemory};
use translator::jit::JitConfig;
use translator::CpuState;

const CODE: u64 = 0x10000;
/// `j .`: runs until the instruction limit.
const LOOP: u32 = 0x0000_006f;
const SIGALRM: i32 = 14;

static ALARMS: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_alarm(_: libc::c_int) {
    ALARMS.fetch_add(1, Ordering::Relaxed);
}

/// A guest spinning at `CODE` until its instruction limit: several of the run loop's slices
/// (a signal that arrives during the last one may be noticed only at the limit, which then
/// ends the run first).
fn spin(engine: Engine) -> Exit {
    let mem = Arc::new(GuestMemory::new().expect("reserve guest memory"));
    mem.map_anon(CODE, 0x1000, prot::READ | prot::EXEC)
        .expect("map code");
    mem.write_bytes_force(CODE, &LOOP.to_le_bytes())
        .expect("write code");
    let mut p = Process::new(mem, PathBuf::from("/spin"), Options::default());
    p.limits.max_instructions = Some(20_000_000);
    let cpu = CpuState {
        pc: CODE,
        ..CpuState::default()
    };
    linux::run(p, cpu, engine).expect("run").0
}

/// The embedder's SIGALRM handler (counting alarms), and the signal unblocked.
fn own_alarm() {
    // SAFETY: installs a handler that only bumps an atomic counter, and unblocks SIGALRM on
    // this thread; both from local structs.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = count_alarm as *const () as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(SIGALRM, &sa, std::ptr::null_mut());
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, SIGALRM);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

/// An interval timer delivering SIGALRM to the process every `us` microseconds (0: off).
fn timer(us: i64) {
    let t = libc::timeval {
        tv_sec: 0,
        tv_usec: us,
    };
    let it = libc::itimerval {
        it_interval: t,
        it_value: t,
    };
    // SAFETY: sets this process's real-time interval timer from a local struct.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()) };
}

/// libFuzzer's `-timeout` works this way: its own SIGALRM handler, an interval timer, and
/// guest runs in between. With `keep_from_guest` no alarm reaches a guest and the embedder's
/// handler keeps getting them; without it, the first alarm during a run kills the guest (the
/// fuzz target `random_code` saw that as the engines disagreeing). Timers and dispositions
/// are the whole process's, so the test runs in a child process of its own (this test binary,
/// told to run this test alone).
#[test]
fn an_embedders_own_signal_is_kept_from_the_guest() {
    const NAME: &str = "embedding::an_embedders_own_signal_is_kept_from_the_guest";
    if std::env::var_os("XLATE_EMBEDDING_CHILD").is_none() {
        let out = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env("XLATE_EMBEDDING_CHILD", "1")
            .output()
            .expect("run the test binary");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed:\n{text}");
        assert!(text.contains("kept: "), "the child ran nothing:\n{text}");
        return;
    }
    own_alarm();
    timer(500);
    let engines = || {
        [
            Engine::Interp,
            Engine::Jit(JitConfig {
                jit_threshold: 2,
                ..JitConfig::default()
            }),
        ]
    };
    let before = ALARMS.load(Ordering::Relaxed);
    for _ in 0..4 {
        for engine in engines() {
            let exit = keep_from_guest(SIGALRM, || spin(engine));
            assert!(matches!(exit, Exit::Limit(_)), "kept: ended by {exit:?}");
        }
    }
    // The alarms went to the embedder, between the runs.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let got = ALARMS.load(Ordering::Relaxed) - before;
    assert!(got > 0, "the embedder's handler got no alarm");
    // The same without it: an alarm ends a guest. (Between two runs the last one's handler
    // is still installed, and an alarm it catches stays blocked: the next guest would inherit
    // that mask, as across execve. So the embedder takes its signal back before each try.)
    let mut killed = false;
    for _ in 0..20 {
        own_alarm();
        if let Exit::Signal(SIGALRM) = spin(Engine::Interp) {
            killed = true;
            break;
        }
    }
    timer(0);
    assert!(killed, "without keep_from_guest no alarm reached a guest");
    println!("kept: the embedder got {got} alarms, and without it a guest died of one");
}
