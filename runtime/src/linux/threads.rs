//! Guest threads of a riscv64 Linux process: clone with CLONE_THREAD (the flags glibc's
//! pthread_create and musl use), thread exit vs exit_group, set_tid_address / clear_child_tid
//! and robust futex lists, following Linux's thread-group semantics (kernel/fork.c,
//! kernel/exit.c, kernel/futex/core.c `exit_robust_list`).
//!
//! Each guest thread runs on its own host thread with its own `CpuState`, its own engine (and
//! so its own translated-code cache) and its own `Process` value; what Linux shares between
//! the threads of a group is shared here too: guest memory (`Arc<GuestMemory>`), descriptors
//! (host descriptors of this one host process), signal dispositions (`SharedSigActions`), the
//! brk / mapping bookkeeping ([`MmShared`], under a lock for the memory syscalls), and the
//! code generation every engine checks at dispatch (a store into translated code, fence.i or an
//! unmapping in one thread makes every thread drop its code). The guest thread id is the host
//! thread id, so tkill/tgkill between guest threads are host tgkills.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use translator::emit::Width;
use translator::CpuState;

use super::signal::{self, SigBox};
use super::syscall::errno::*;
use super::syscall::{RangeSet, SysResult};
use super::{Exit, Process};

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;

/// Code invalidation works on lines of 1 << LINE_SHIFT bytes.
pub const LINE_SHIFT: u32 = 6;
/// Invalidations remembered; a thread that fell further behind flushes all it has.
const LOG_LEN: usize = 256;

/// Host stack of a guest thread (the engines and the code generator run on it).
const HOST_STACK: usize = 8 << 20;

/// The brk and mapping bookkeeping the threads share (copied in and out of the calling
/// thread's `Process` around each memory syscall, under the lock).
#[derive(Default)]
pub struct MmShared {
    brk_start: u64,
    brk: u64,
    file_maps: RangeSet,
    ro_shared: RangeSet,
}

struct State {
    /// Live threads: host tid -> signal box.
    live: BTreeMap<i32, &'static SigBox>,
    /// How the process ended, once it did.
    exit: Option<Exit>,
    /// Boxes of ended threads, for reuse.
    free_boxes: Vec<&'static SigBox>,
}

/// A thread group (a process with more than one thread).
pub struct Group {
    /// Host tid of the thread that runs the process's main loop (the guest's main thread).
    leader: i32,
    state: Mutex<State>,
    cv: Condvar,
    exiting: AtomicBool,
    /// The leader has seen the end of the process.
    leader_ack: AtomicBool,
    code_gen: AtomicU64,
    /// The last invalidated ranges of guest code, as (generation, first line, end line).
    log: Mutex<std::collections::VecDeque<(u64, u64, u64)>>,
    /// Lines of guest code any thread decoded, when the threads share translated code.
    code_lines: Mutex<std::collections::HashSet<u64>>,
    instret: AtomicU64,
    pub mm: Mutex<MmShared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(e) => e.into_inner(),
    }
}

impl Group {
    #[inline(always)]
    pub fn exiting(&self) -> bool {
        self.exiting.load(Ordering::Relaxed)
    }

    /// How the process ended, if it did.
    pub fn exit_status(&self) -> Option<Exit> {
        if !self.exiting() {
            return None;
        }
        lock(&self.state).exit
    }

    #[inline(always)]
    pub fn code_gen(&self) -> u64 {
        self.code_gen.load(Ordering::Acquire)
    }

    /// Guest code in `[start, end)` changed for every thread: a thread whose engine decoded
    /// any of it drops its code at its next dispatch.
    pub fn invalidate(&self, start: u64, end: u64) {
        let mut log = lock(&self.log);
        let gen = self.code_gen.load(Ordering::Relaxed) + 1;
        let first = start >> LINE_SHIFT;
        let last = end.saturating_add((1 << LINE_SHIFT) - 1) >> LINE_SHIFT;
        log.push_back((gen, first, last.max(first + 1)));
        while log.len() > LOG_LEN {
            log.pop_front();
        }
        self.code_gen.store(gen, Ordering::Release);
    }

    /// Records a line of guest code a thread decoded (for code shared between threads).
    pub fn add_code_line(&self, line: u64) {
        lock(&self.code_lines).insert(line);
    }

    /// Whether an invalidation after generation `seen` meets code any thread decoded.
    pub fn touches_shared(&self, seen: u64) -> bool {
        let lines = lock(&self.code_lines);
        self.touches(seen, &lines)
    }

    /// Whether an invalidation after generation `seen` meets `lines`.
    pub fn touches(&self, seen: u64, lines: &std::collections::HashSet<u64>) -> bool {
        if lines.is_empty() {
            return false;
        }
        let log = lock(&self.log);
        match log.front() {
            Some(&(g, _, _)) if g <= seen + 1 => {}
            // Entries this thread has not seen were dropped.
            _ => return true,
        }
        log.iter().filter(|e| e.0 > seen).any(|&(_, a, b)| {
            if b - a <= lines.len() as u64 {
                (a..b).any(|l| lines.contains(&l))
            } else {
                lines.iter().any(|&l| (a..b).contains(&l))
            }
        })
    }

    /// Adds `n` instructions to the group's count; returns the total.
    pub fn add_instructions(&self, n: u64) -> u64 {
        self.instret.fetch_add(n, Ordering::Relaxed) + n
    }

    /// Ends the process with `exit` unless it already ended; returns how it ended. Every
    /// thread is told (and woken from host syscalls).
    pub fn end(&self, exit: Exit) -> Exit {
        let mut st = lock(&self.state);
        let e = *st.exit.get_or_insert(exit);
        self.exiting.store(true, Ordering::Release);
        let me = signal::gettid();
        for &tid in st.live.keys() {
            if tid != me {
                signal::wake(tid);
            }
        }
        self.cv.notify_all();
        e
    }

    fn live_others(&self, me: i32) -> Vec<i32> {
        lock(&self.state)
            .live
            .keys()
            .copied()
            .filter(|&t| t != me)
            .collect()
    }

    /// The leader, at the end of the process: waits (bounded) for the other threads to stop
    /// running guest code, waking them from host syscalls.
    fn stop_others(&self) {
        let me = signal::gettid();
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let others = self.live_others(me);
            if others.is_empty() || Instant::now() > deadline {
                return;
            }
            for t in others {
                signal::wake(t);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn remove(&self, tid: i32) -> bool {
        let mut st = lock(&self.state);
        if let Some(b) = st.live.remove(&tid) {
            st.free_boxes.push(b);
        }
        self.cv.notify_all();
        st.live.is_empty()
    }
}

/// The signal box of live thread `tid` of this process (None: not one of ours).
pub fn box_of(p: &Process, tid: i32) -> Option<&'static SigBox> {
    let g = p.group.as_ref()?;
    lock(&g.state).live.get(&tid).copied()
}

/// The group of `p`, created when it starts its first thread.
fn ensure_group(p: &mut Process, cpu: &CpuState) -> Arc<Group> {
    if let Some(g) = &p.group {
        return g.clone();
    }
    let me = signal::gettid();
    let mut live = BTreeMap::new();
    live.insert(me, p.sigbox);
    let g = Arc::new(Group {
        leader: me,
        state: Mutex::new(State {
            live,
            exit: None,
            free_boxes: Vec::new(),
        }),
        cv: Condvar::new(),
        exiting: AtomicBool::new(false),
        leader_ack: AtomicBool::new(false),
        code_gen: AtomicU64::new(0),
        log: Mutex::new(Default::default()),
        code_lines: Mutex::new(p.code_lines.clone()),
        instret: AtomicU64::new(cpu.instret),
        mm: Mutex::new(MmShared {
            brk_start: p.brk_start,
            brk: p.brk,
            file_maps: p.sys.file_maps.clone(),
            ro_shared: p.sys.ro_shared.clone(),
        }),
    });
    p.instret_reported = cpu.instret;
    p.code_gen_seen = 0;
    p.group = Some(g.clone());
    g
}

/// Runs memory syscall `f` with the group's brk/mapping bookkeeping (one at a time: two
/// threads must not pick the same free range).
/// `range` (address, length): guest memory whose mapping the syscall may change; code
/// decoded from it is dropped by every thread.
pub fn with_mm(
    p: &mut Process,
    range: Option<(u64, u64)>,
    f: impl FnOnce(&mut Process) -> SysResult,
) -> SysResult {
    let Some(g) = p.group.clone() else {
        return f(p);
    };
    let mut mm = lock(&g.mm);
    p.brk_start = mm.brk_start;
    p.brk = mm.brk;
    p.sys.file_maps = std::mem::take(&mut mm.file_maps);
    p.sys.ro_shared = std::mem::take(&mut mm.ro_shared);
    let r = f(p);
    mm.brk_start = p.brk_start;
    mm.brk = p.brk;
    mm.file_maps = std::mem::take(&mut p.sys.file_maps);
    mm.ro_shared = std::mem::take(&mut p.sys.ro_shared);
    drop(mm);
    if let Some((addr, len)) = range {
        if r.is_ok() {
            g.invalidate(addr, addr.saturating_add(len));
        }
    }
    r
}

/// riscv_flush_icache(start, end, flags): this thread drops its code; without
/// SYS_RISCV_FLUSH_ICACHE_LOCAL, so does every thread that decoded code in the range.
pub fn flush_icache(p: &mut Process, start: u64, end: u64, flags: u64) {
    match p.group.clone() {
        // As fence.i (see `Env::fence_i` for `Process`).
        None if !p.mem.aliased() => {}
        None => p.mem.set_code_dirty(),
        Some(g) => {
            p.local_flush = true;
            if flags & 1 == 0 {
                g.invalidate(start, end.max(start));
            }
        }
    }
}

/// A new `Process` value for a thread of `p`'s group.
fn thread_process(p: &Process, g: &Arc<Group>, b: &'static SigBox) -> Process {
    let mut c = Process::new(p.mem.clone(), p.exe_path.clone(), p.opts.clone());
    c.brk_start = p.brk_start;
    c.brk = p.brk;
    c.auxv = p.auxv.clone();
    c.start = p.start;
    c.limits = p.limits.clone();
    c.sys.sigactions = p.sys.sigactions.clone();
    // A new thread inherits the mask; nothing is pending for it and it has no altstack.
    c.sys.sigmask = p.sys.sigmask;
    c.sys.sig.trampoline = p.sys.sig.trampoline;
    c.sys.personality = p.sys.personality;
    c.sys.comm = p.sys.comm;
    c.sigbox = b;
    c.group = Some(g.clone());
    c.engine = p.engine.clone();
    c.jit_code = p.jit_code.clone();
    c.code_gen_seen = g.code_gen();
    c
}

/// clone(flags, newsp, parent_tid, tls, child_tid) with CLONE_THREAD: a new guest thread on
/// a new host thread. Returns the new thread's id.
pub fn spawn(
    p: &mut Process,
    cpu: &CpuState,
    flags: u64,
    newsp: u64,
    ptid: u64,
    tls: u64,
    ctid: u64,
) -> SysResult {
    // Linux: CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM.
    if flags & CLONE_SIGHAND == 0 || flags & CLONE_VM == 0 {
        return Err(EINVAL);
    }
    let engine = p.engine.clone().ok_or(EAGAIN)?;
    // The sigreturn trampoline is the process's: map it once, before it is shared.
    signal::trampoline(p).map_err(|_| ENOMEM)?;
    let g = ensure_group(p, cpu);
    if g.exiting() {
        return Err(EAGAIN);
    }
    let b: &'static SigBox = match lock(&g.state).free_boxes.pop() {
        Some(b) => {
            b.pending.store(0, Ordering::Release);
            b
        }
        None => Box::leak(Box::new(SigBox::new())),
    };
    let mut child = thread_process(p, &g, b);
    if flags & CLONE_CHILD_CLEARTID != 0 {
        child.sys.clear_child_tid = ctid;
    }
    let mut ccpu = cpu.clone();
    ccpu.x[10] = 0;
    if newsp != 0 {
        ccpu.x[2] = newsp;
    }
    if flags & CLONE_SETTLS != 0 {
        ccpu.x[4] = tls;
    }
    // The child resumes after the ecall.
    ccpu.pc = cpu.pc.wrapping_add(4);
    ccpu.instret = 0;
    ccpu.reservation = translator::NO_RESERVATION;

    let (tx, rx) = std::sync::mpsc::channel::<i32>();
    let g2 = g.clone();
    // The host thread starts with every signal blocked and takes the guest mask once its box
    // is in place.
    let old = signal::host_block_everything();
    let spawned = std::thread::Builder::new()
        .name("xlate-guest".into())
        .stack_size(HOST_STACK)
        .spawn(move || thread_main(child, ccpu, engine, g2, flags, ptid, ctid, tx));
    signal::host_restore(old);
    if spawned.is_err() {
        lock(&g.state).free_boxes.push(b);
        return Err(EAGAIN);
    }
    let tid = rx.recv().map_err(|_| EAGAIN)?;
    Ok(tid as u64)
}

#[allow(clippy::too_many_arguments)]
fn thread_main(
    p: Process,
    cpu: CpuState,
    engine: super::Engine,
    g: Arc<Group>,
    flags: u64,
    ptid: u64,
    ctid: u64,
    tx: std::sync::mpsc::Sender<i32>,
) {
    let tid = signal::gettid();
    lock(&g.state).live.insert(tid, p.sigbox);
    // Both ids are in place before either thread runs guest code again (glibc relies on it).
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = p.mem.store(ptid, tid as u64, Width::W);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        let _ = p.mem.store(ctid, tid as u64, Width::W);
    }
    let _ = tx.send(tid);
    drop(tx);
    signal::set_thread_box(p.sigbox);
    signal::sync_host_mask(&p);

    let (exit, mut p) = super::run_thread(p, cpu, engine);

    // SAFETY: plain getter.
    if signal::gettid() == unsafe { libc::getpid() } {
        // A fork child of this thread: this host thread is the process's leader now (its
        // own threads, if it started any, have stopped in `after_drive`).
        finish_process(&mut p, exit);
    }
    let last = if p.thread_exit {
        thread_cleanup(&mut p, tid);
        let _ = signal::host_block_everything();
        signal::set_thread_box(std::ptr::null());
        g.remove(tid)
    } else {
        let _ = signal::host_block_everything();
        signal::set_thread_box(std::ptr::null());
        g.remove(tid);
        false
    };
    if last {
        // The last thread: the process ends with its status.
        g.end(exit);
    }
    if g.exiting() {
        // Make sure the leader sees the end (it may sit in a host syscall); it ends the
        // host process. Should it not answer, this thread does.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !g.leader_ack.load(Ordering::Acquire) {
            if Instant::now() > deadline {
                let e = g.exit_status().unwrap_or(exit);
                finish_process(&mut p, e);
            }
            signal::wake(g.leader);
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// What Linux does when a thread ends: the robust futex list, then clear_child_tid (store 0
/// and wake one waiter: pthread_join).
fn thread_cleanup(p: &mut Process, tid: i32) {
    exit_robust_list(p, tid);
    let a = p.sys.clear_child_tid;
    if a != 0 {
        p.sys.clear_child_tid = 0;
        if p.mem.store(a, 0, Width::W).is_ok() {
            let _ = super::syscall::futex::wake(p, a, 1);
        }
    }
}

/// Walks the thread's robust futex list (`struct robust_list_head`: next, futex_offset,
/// list_op_pending): every lock word still owned by `tid` gets FUTEX_OWNER_DIED and one waiter
/// is woken. Bounded like Linux (ROBUST_LIST_LIMIT).
fn exit_robust_list(p: &mut Process, tid: i32) {
    const FUTEX_WAITERS: u32 = 0x8000_0000;
    const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
    const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
    let head = p.sys.robust_list.0;
    if head == 0 {
        return;
    }
    let (Ok(mut entry), Ok(off), Ok(pending)) = (
        p.mem.read_u64(head),
        p.mem.read_u64(head + 8),
        p.mem.read_u64(head + 16),
    ) else {
        return;
    };
    let handle = |p: &mut Process, e: u64| {
        let word = (e & !1).wrapping_add(off);
        for _ in 0..16 {
            let Ok(v) = p.mem.load(word, Width::W) else {
                return;
            };
            let v = v as u32;
            if v & FUTEX_TID_MASK != tid as u32 {
                return;
            }
            let new = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
            if word & 3 != 0 {
                return;
            }
            if let Ok(true) = p.mem.cmpxchg(word, v as u64, new as u64, Width::W) {
                if v & FUTEX_WAITERS != 0 {
                    let _ = super::syscall::futex::wake(p, word, 1);
                }
                return;
            }
        }
    };
    let mut n = 0;
    while entry != head && entry != 0 && n < 2048 {
        let Ok(next) = p.mem.read_u64(entry & !1) else {
            break;
        };
        if entry != pending {
            handle(p, entry);
        }
        entry = next;
        n += 1;
    }
    if pending != 0 {
        handle(p, pending);
    }
}

/// exit(status): ends only the calling thread, unless it is the last one.
pub fn exit(p: &mut Process, status: i32) {
    let Some(g) = p.group.clone() else {
        p.exit = Some(Exit::Code(status));
        return;
    };
    let me = signal::gettid();
    if me != g.leader {
        p.exit = Some(Exit::Code(status));
        p.thread_exit = true;
        return;
    }
    // The leader's host thread runs the process's main loop: it stays (a zombie leader, as
    // in Linux) until the last thread ends or one ends the process, and leaves signals to them.
    thread_cleanup(p, me);
    signal::host_block_all_but_wake();
    let last = {
        let mut st = lock(&g.state);
        st.live.remove(&me);
        st.live.is_empty()
    };
    if last {
        g.end(Exit::Code(status));
    }
    let mut st = lock(&g.state);
    while st.exit.is_none() {
        st = match g.cv.wait(st) {
            Ok(s) => s,
            Err(e) => e.into_inner(),
        };
    }
    p.exit = st.exit;
}

/// The run loop of a thread ended with `exit`: a thread that ended alone returns; otherwise
/// the process ends (exit_group, a fatal signal, a limit, or another thread ended it), and the
/// leader waits for the other threads to stop before it returns the process's status.
pub fn after_drive(p: &mut Process, exit: Exit) -> Exit {
    let Some(g) = p.group.clone() else {
        return exit;
    };
    if p.thread_exit {
        return exit;
    }
    let e = g.end(exit);
    if signal::gettid() == g.leader {
        g.leader_ack.store(true, Ordering::Release);
        g.stop_others();
    }
    e
}

/// Ends the host process as `xlate run` would with `exit` (a fork child of a non-main thread
/// has no main loop to return to).
fn finish_process(p: &mut Process, exit: Exit) -> ! {
    use std::io::Write;
    if let Some(out) = p.strace_out.as_mut() {
        let _ = out.flush();
    }
    let _ = std::io::stdout().flush();
    let code = match exit {
        Exit::Code(c) => c & 0xff,
        Exit::Signal(s) => {
            // SAFETY: plain libc calls on this process: no core dump, default action,
            // unblocked, raised; if it does not end the process, 128+N below.
            unsafe {
                let no_core = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &no_core);
                libc::signal(s, libc::SIG_DFL);
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, s);
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::raise(s);
            }
            (128 + s).clamp(0, 255)
        }
        Exit::Limit(hit) => {
            eprintln!("xlate: {hit}");
            hit.exit_status() as i32
        }
    };
    // SAFETY: ends the process at once, as the main loop's return would.
    unsafe { libc::_exit(code) }
}

/// In a forked child: the calling thread is the only one (as Linux forks only the caller).
pub fn after_fork(p: &mut Process) {
    if let Some(g) = p.group.take() {
        // The group's bookkeeping is the newest (the lock may be stuck with a thread that
        // does not exist here: then this thread's copy it is).
        if let Ok(mut mm) = g.mm.try_lock() {
            p.brk_start = mm.brk_start;
            p.brk = mm.brk;
            p.sys.file_maps = std::mem::take(&mut mm.file_maps);
            p.sys.ro_shared = std::mem::take(&mut mm.ro_shared);
        }
        std::mem::forget(g);
    }
    p.sys.sigactions = p.sys.sigactions.unshare();
}
