//! Signal delivery to riscv64 Linux guests: the guest's handlers run on the riscv64
//! `rt_sigframe` (siginfo, then `ucontext` with `uc_mcontext` = `struct sigcontext` of
//! arch/riscv/include/uapi/asm/sigcontext.h), entered and left as arch/riscv/kernel/signal.c
//! does (a0 = signo, a1 = &info, a2 = &uc, ra = a `li a7,139; ecall` trampoline standing in for
//! the vDSO's `__vdso_rt_sigreturn`).
//!
//! How signals flow:
//! - The host kernel keeps the bookkeeping for asynchronous signals: the guest's blocked mask
//!   is mirrored into the host thread's mask, and a guest disposition becomes a host one
//!   (SIG_IGN is SIG_IGN; SIG_DFL whose default ignores or stops is host SIG_DFL; a guest
//!   handler, and SIG_DFL whose default terminates, get [`host_handler`]). So a blocked signal
//!   stays pending in the host kernel, `kill` to ourselves is a host `kill`, and exec'd
//!   programs inherit ignored signals and the mask as Linux says.
//! - [`host_handler`] records the signal and its siginfo in a [`SigBox`] (the process's
//!   [`PENDING`], or the receiving thread's for tkill/tgkill) and keeps the
//!   signal blocked in the host until it is delivered (so real-time signals queue in the host
//!   kernel). Translated code sees it at the next block boundary through
//!   `Env::exit_requested`; the run loop also bounds every engine run to a slice of
//!   instructions, so chained translated loops come back too.
//! - Signals the host uses for itself (SIGSEGV, SIGBUS, SIGILL, SIGFPE, and glibc's 32/33)
//!   are never handed to the host: guest faults raise them synchronously, and a guest `kill`
//!   of itself with them is queued here.
//! - A host syscall interrupted by [`host_handler`] returns EINTR; the run loop restarts it
//!   (SA_RESTART, or no handler ran) or lets the guest see EINTR, as Linux's ERESTARTSYS /
//!   ERESTARTNOHAND rules say.

use std::sync::atomic::{AtomicU64, Ordering};

use translator::interp::Interp;
use translator::{Cause, CpuState, Exception};

use super::syscall::errno::*;
use super::syscall::{nr, AltStack, SigAction, SysResult};
use super::{Exit, Process};

/// Signal numbers (generic Linux, as on riscv64 and x86-64).
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGSEGV: i32 = 11;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const SIGURG: i32 = 23;
pub const SIGWINCH: i32 = 28;
pub const SIGSYS: i32 = 31;

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// `sa_flags` bits (riscv64 uses the generic values).
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: u32 = 1 << 31;

/// si_code values.
const SI_USER: i32 = 0;
const SI_TKILL: i32 = -6;
const ILL_ILLOPC: i32 = 1;
const TRAP_BRKPT: i32 = 1;
const BUS_ADRALN: i32 = 1;
const BUS_ADRERR: i32 = 2;
const SEGV_MAPERR: i32 = 1;
const SEGV_ACCERR: i32 = 2;

/// The bit of signal `s` in a sigset.
pub const fn bit(s: i32) -> u64 {
    1u64 << (s - 1)
}

/// Signals that can never be caught or blocked.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);
/// Signals never given to the host (it raises them for its own faults, or glibc reserves
/// them): handled only inside the guest.
const GUEST_ONLY: u64 =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGFPE) | bit(32) | bit(33) | bit(WAKE);
/// Synchronous signals, dequeued first (as Linux's SYNCHRONOUS_MASK).
const SYNCHRONOUS: u64 =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);

/// Size of the riscv64 `struct rt_sigframe`: siginfo (128) + ucontext (960).
pub const FRAME_SIZE: u64 = 128 + 960;
/// Offsets inside the frame.
const UC: u64 = 128;
const UC_STACK: u64 = UC + 16;
const UC_SIGMASK: u64 = UC + 40;
const UC_MCONTEXT: u64 = UC + 176;
/// `__riscv_d_ext_state`: f[32] then fcsr.
const MC_FPREGS: u64 = UC_MCONTEXT + 256;
const MC_FCSR: u64 = MC_FPREGS + 256;

/// The signal trampoline: `li a7, 139` (rt_sigreturn); `ecall`.
const TRAMPOLINE: [u32; 2] = [0x08b0_0893, 0x0000_0073];

/// Signals caught by [`host_handler`] and not yet delivered, with the host siginfo of each
/// (128 bytes as 16 words; the generic 64-bit layout that x86-64 and riscv64 share).
/// There is one for the process (process-directed signals, which any guest thread that does
/// not block them delivers) and one per guest thread (signals sent to that thread with
/// tkill/tgkill, and guest-only signals other threads queue for it).
pub struct SigBox {
    pub pending: AtomicU64,
    info: [[AtomicU64; 16]; 64],
}

impl SigBox {
    pub const fn new() -> Self {
        #[allow(clippy::declare_interior_mutable_const)]
        const ZERO: AtomicU64 = AtomicU64::new(0);
        #[allow(clippy::declare_interior_mutable_const)]
        const ZINFO: [AtomicU64; 16] = [ZERO; 16];
        Self {
            pending: AtomicU64::new(0),
            info: [ZINFO; 64],
        }
    }

    /// Records signal `s` with its siginfo (async-signal-safe: atomics only).
    fn put(&self, s: i32, words: impl Fn(usize) -> u64) {
        for (i, w) in self.info[(s - 1) as usize].iter().enumerate() {
            w.store(words(i), Ordering::Relaxed);
        }
        self.pending.fetch_or(bit(s), Ordering::Release);
    }

    /// Takes signal `s` if it is still pending here (another thread may have taken a
    /// process-directed one first).
    fn claim(&self, s: i32) -> Option<[u8; 128]> {
        let b = bit(s);
        if self.pending.fetch_and(!b, Ordering::AcqRel) & b == 0 {
            return None;
        }
        let mut info = [0u8; 128];
        for (i, w) in self.info[(s - 1) as usize].iter().enumerate() {
            info[i * 8..i * 8 + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        Some(info)
    }

    fn load(&self) -> u64 {
        self.pending.load(Ordering::Acquire)
    }
}

impl Default for SigBox {
    fn default() -> Self {
        Self::new()
    }
}

/// Process-directed signals caught and not yet delivered.
pub static PENDING: SigBox = SigBox::new();
/// The main guest thread's own box (the box of a thread lives as long as the thread).
pub static MAIN_BOX: SigBox = SigBox::new();

thread_local! {
    /// The box of the guest thread running on this host thread (null on other host threads).
    static CUR: std::cell::Cell<*const SigBox> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Makes `b` the box [`host_handler`] fills for thread-directed signals on this host thread
/// (null: none). Call with host signals blocked when the box is about to go away.
pub fn set_thread_box(b: *const SigBox) {
    CUR.with(|c| c.set(b));
}

/// Host signal xlate keeps for itself: it interrupts a guest thread blocked in a host syscall
/// when another thread needs it (exit_group, a guest-only signal queued for it). The guest's
/// signal 64 is handled inside the guest only.
pub const WAKE: i32 = 64;

extern "C" fn wake_handler(_: libc::c_int) {}

/// Interrupts host thread `tid` of this process (see [`WAKE`]).
pub fn wake(tid: i32) {
    // SAFETY: sends our own wake-up signal to a thread of this process.
    unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid() as libc::c_long,
            tid as libc::c_long,
            WAKE as libc::c_long,
        )
    };
}

/// Signal state of the process beyond the dispositions and mask kept in `SysState`.
#[derive(Clone)]
pub struct SigExtra {
    /// siginfo of each signal queued here (guest-only signals; bit set in `SysState::sigpending`).
    pub info: Vec<[u8; 128]>,
    /// The mask to restore when rt_sigsuspend returns (put in the frame of the handler it ran).
    pub saved_mask: Option<u64>,
    /// Guest address of the sigreturn trampoline (0 until the first delivery).
    pub trampoline: u64,
}

impl Default for SigExtra {
    fn default() -> Self {
        Self {
            info: vec![[0; 128]; 64],
            saved_mask: None,
            trampoline: 0,
        }
    }
}

/// What a signal does under SIG_DFL.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Default_ {
    Terminate,
    Ignore,
    Stop,
}

pub fn default_action(s: i32) -> Default_ {
    match s {
        SIGCHLD | SIGURG | SIGWINCH | SIGCONT => Default_::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Default_::Stop,
        _ => Default_::Terminate,
    }
}

fn valid(s: i32) -> bool {
    (1..=64).contains(&s)
}

/// The host's record of a signal: copies its siginfo and leaves it blocked (in the mask the
/// kernel restores when this handler returns) until the run loop delivers it.
extern "C" fn host_handler(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    if !valid(sig) {
        return;
    }
    // SAFETY: the kernel passes a valid siginfo (128 bytes) and ucontext to an SA_SIGINFO
    // handler; we only read the former and add one signal to the latter's saved mask.
    unsafe {
        let words = info as *const u64;
        let code = (*info).si_code;
        // Thread-directed (tkill/tgkill) signals belong to this thread, the rest to the process.
        let mine = CUR.with(|c| c.get());
        let target: &SigBox = if code == SI_TKILL && !mine.is_null() {
            &*mine
        } else {
            &PENDING
        };
        target.put(sig, |i| words.add(i).read_unaligned());
        let uc = uc as *mut libc::ucontext_t;
        libc::sigaddset(&mut (*uc).uc_sigmask, sig);
    }
}

/// Sets the host thread's signal mask (raw syscall: glibc would hide 32 and 33).
fn host_setmask(mask: u64) {
    let m = mask & !UNBLOCKABLE & !GUEST_ONLY;
    // SAFETY: a kernel sigset of 8 bytes.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &m as *const u64,
            std::ptr::null_mut::<u64>(),
            8,
        )
    };
}

fn host_getmask() -> u64 {
    let mut m = 0u64;
    // SAFETY: a kernel sigset of 8 bytes.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            std::ptr::null::<u64>(),
            &mut m as *mut u64,
            8,
        )
    };
    m
}

/// Makes the host mask the guest's, plus the signals caught and not yet delivered.
pub fn sync_host_mask(p: &Process) {
    host_setmask(p.sys.sigmask | PENDING.load() | p.sigbox.load());
}

/// Blocks every host signal (around bookkeeping that must not race with [`host_handler`]).
fn host_block_all() {
    host_setmask(!0);
}

/// Installs the host disposition matching the guest's for signal `s`.
pub fn sync_host_action(s: i32, act: &SigAction) {
    if !valid(s) || bit(s) & (GUEST_ONLY | UNBLOCKABLE) != 0 {
        return;
    }
    let handler = if act.handler == SIG_IGN {
        libc::SIG_IGN
    } else if act.handler == SIG_DFL && default_action(s) != Default_::Terminate {
        libc::SIG_DFL
    } else {
        host_handler as *const () as usize
    };
    // SAFETY: installs a handler that only touches atomics and the passed ucontext, or a
    // standard disposition, for a signal the host does not use for itself.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        sa.sa_flags = libc::SA_SIGINFO;
        libc::sigfillset(&mut sa.sa_mask);
        libc::sigaction(s, &sa, std::ptr::null_mut());
    }
}

/// Takes over signal handling for the guest at start: inherited ignored signals and the
/// inherited mask become the guest's (as across a real execve), SIGPIPE is default again
/// (the Rust runtime ignores it), and every other signal gets its host disposition.
pub fn init(p: &mut Process) {
    for s in 1..=64 {
        if bit(s) & (GUEST_ONLY | UNBLOCKABLE) != 0 {
            continue;
        }
        // SAFETY: queries the current disposition.
        let old = unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(s, std::ptr::null(), &mut old) != 0 {
                continue;
            }
            old
        };
        if old.sa_sigaction == libc::SIG_IGN && s != libc::SIGPIPE {
            p.sys.sigactions.set(
                (s - 1) as usize,
                SigAction {
                    handler: SIG_IGN,
                    ..Default::default()
                },
            );
        }
        let act = p.sys.sigactions.get((s - 1) as usize);
        sync_host_action(s, &act);
    }
    // SAFETY: installs a handler that does nothing for xlate's own wake-up signal; without
    // SA_RESTART, so a host syscall it interrupts returns EINTR.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = wake_handler as *const () as usize;
        sa.sa_flags = 0;
        libc::sigfillset(&mut sa.sa_mask);
        libc::sigaction(WAKE, &sa, std::ptr::null_mut());
    }
    set_thread_box(p.sigbox);
    p.sys.sigmask = host_getmask() & !UNBLOCKABLE & !bit(WAKE);
    sync_host_mask(p);
}

/// Runs `f` with host signal `s` kept from the guest, for a program that embeds the runtime
/// and uses `s` itself (libFuzzer's `-timeout` alarm, say).
///
/// A run ([`super::run`]) takes over the process's signals for the guest, as it must when
/// xlate is the guest's process: a signal sent to the process is the guest's, and most kill
/// it by default. So an embedder's own signal, arriving during a run (or between runs, once
/// [`init`] has replaced the embedder's handler), would reach a guest instead. Here `s` is
/// blocked on this thread while `f` runs (a guest started by `f` inherits the mask, as across
/// `execve`, and the signal stays pending in the host kernel unless the guest unblocks it);
/// afterwards `s`'s disposition is put back as it was, then this thread's mask: a signal
/// that arrived meanwhile reaches the embedder's handler then.
pub fn keep_from_guest<R>(s: i32, f: impl FnOnce() -> R) -> R {
    // SAFETY: queries the disposition of `s` into a zeroed sigaction.
    let saved = unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        (libc::sigaction(s, std::ptr::null(), &mut old) == 0).then_some(old)
    };
    let mask = host_getmask();
    host_setmask(mask | bit(s));
    let r = f();
    if let Some(old) = saved {
        // SAFETY: reinstalls the disposition `s` had before `f`, as it was read above.
        unsafe { libc::sigaction(s, &old, std::ptr::null_mut()) };
    }
    host_setmask(mask);
    r
}

/// Blocks every host signal but [`WAKE`] on this host thread (a guest thread waiting for the
/// others to end leaves their signals to them).
pub fn host_block_all_but_wake() {
    host_setmask(!0);
}

/// Blocks every host signal, [`WAKE`] included, but SIGSEGV and SIGBUS (a host fault while
/// they are blocked would kill the process instead of reaching the fault handler); returns
/// the previous mask.
pub fn host_block_everything() -> u64 {
    let all = !(bit(SIGSEGV) | bit(SIGBUS));
    let mut old = 0u64;
    // SAFETY: kernel sigsets of 8 bytes.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &all as *const u64,
            &mut old as *mut u64,
            8,
        )
    };
    old
}

/// Restores a host mask from [`host_block_everything`].
pub fn host_restore(mask: u64) {
    // SAFETY: a kernel sigset of 8 bytes.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &mask as *const u64,
            std::ptr::null_mut::<u64>(),
            8,
        )
    };
}

/// Queues guest-only signal `s` (or any signal) for another thread of this process: recorded in
/// its box, and the thread is woken from a host syscall.
pub fn queue_for_thread(b: &SigBox, tid: i32, s: i32, info: [u8; 128]) {
    b.put(s, |i| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&info[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    });
    wake(tid);
}

/// Whether a signal is ready for delivery (the engines' `exit_requested`).
#[inline(always)]
pub fn deliverable(p: &Process) -> bool {
    pending_set(p) & !p.sys.sigmask != 0
}

/// Every signal waiting for this thread: its own, the process's, and the guest-only ones
/// queued here.
#[inline(always)]
fn pending_set(p: &Process) -> u64 {
    PENDING.pending.load(Ordering::Relaxed)
        | p.sigbox.pending.load(Ordering::Relaxed)
        | p.sys.sigpending
}

/// Picks the next signal to deliver from `set` (synchronous ones first, then the lowest).
fn pick(set: u64) -> Option<i32> {
    if set == 0 {
        return None;
    }
    let sync = set & SYNCHRONOUS;
    let s = if sync != 0 { sync } else { set };
    Some(s.trailing_zeros() as i32 + 1)
}

/// Removes signal `s` from the pending sets and returns its siginfo (None: another thread
/// took it first).
fn take(p: &mut Process, s: i32) -> Option<[u8; 128]> {
    let b = bit(s);
    if p.sys.sigpending & b != 0 {
        p.sys.sigpending &= !b;
        return Some(p.sys.sig.info[(s - 1) as usize]);
    }
    p.sigbox.claim(s).or_else(|| PENDING.claim(s))
}

/// A siginfo for a signal this process sent itself, or raised by a fault.
fn make_info(s: i32, code: i32, f: impl FnOnce(&mut [u8; 128])) -> [u8; 128] {
    let mut i = [0u8; 128];
    i[0..4].copy_from_slice(&s.to_le_bytes());
    i[8..12].copy_from_slice(&code.to_le_bytes());
    f(&mut i);
    i
}

fn kill_info(s: i32, code: i32) -> [u8; 128] {
    make_info(s, code, |i| {
        // SAFETY: plain getters.
        let (pid, uid) = unsafe { (libc::getpid(), libc::getuid()) };
        i[16..20].copy_from_slice(&pid.to_le_bytes());
        i[20..24].copy_from_slice(&uid.to_le_bytes());
    })
}

/// Queues a guest-only signal for this process (kill of itself with SIGSEGV, say).
fn queue_internal(p: &mut Process, s: i32, info: [u8; 128]) {
    let act = p.sys.sigactions.get((s - 1) as usize);
    if act.handler == SIG_IGN || (act.handler == SIG_DFL && default_action(s) == Default_::Ignore) {
        return;
    }
    if p.sys.sigpending & bit(s) == 0 {
        p.sys.sig.info[(s - 1) as usize] = info;
        p.sys.sigpending |= bit(s);
    }
}

/// What the run loop does after a delivery attempt.
pub enum After {
    /// Go on running the guest (maybe in a handler now).
    Run,
    /// The process ends (a signal's default action).
    Exit(Exit),
}

/// Delivers every deliverable signal: sets up handler frames (nesting like Linux), drops
/// ignored ones, or returns the default action that ends the process.
pub fn deliver(m: &mut Interp<Process>) -> After {
    let mut ran = false;
    loop {
        let p = &mut m.env;
        let set = pending_set(p) & !p.sys.sigmask;
        let Some(s) = pick(set) else { break };
        let Some(info) = take(p, s) else { continue };
        let act = p.sys.sigactions.get((s - 1) as usize);
        match act.handler {
            SIG_IGN => {}
            SIG_DFL => match default_action(s) {
                Default_::Ignore => {}
                Default_::Stop => {
                    sync_host_mask(p);
                    // SAFETY: stops this process, as Linux stops the guest.
                    unsafe { libc::raise(libc::SIGSTOP) };
                }
                Default_::Terminate => return After::Exit(Exit::Signal(s)),
            },
            _ => {
                if setup_frame(p, &mut m.cpu, s, &info, &act).is_err() {
                    // Linux's force_sigsegv: a frame that cannot be written kills.
                    return After::Exit(Exit::Signal(SIGSEGV));
                }
                ran = true;
            }
        }
    }
    let p = &mut m.env;
    if !ran {
        if let Some(old) = p.sys.sig.saved_mask.take() {
            p.sys.sigmask = old;
        }
    }
    sync_host_mask(p);
    After::Run
}

/// Whether a syscall that returned EINTR is restarted: when the next signal runs a handler,
/// only with SA_RESTART and for syscalls Linux restarts (not sleeps, waits with timeouts or
/// sigsuspend, which give -ERESTARTNOHAND / -ERESTART_RESTARTBLOCK); when no handler runs, it is
/// restarted transparently.
pub fn restart_after_eintr(p: &Process, nr: u64) -> bool {
    use nr::*;
    if matches!(nr, RT_SIGSUSPEND | RT_SIGTIMEDWAIT) {
        return false;
    }
    // execve gives EINTR only to have a signal that arrived before it delivered first
    // (`procs::execve`): the guest never sees it.
    if nr == EXECVE {
        return true;
    }
    let set = pending_set(p) & !p.sys.sigmask;
    let Some(s) = pick(set) else {
        return true;
    };
    let act = p.sys.sigactions.get((s - 1) as usize);
    if act.handler == SIG_IGN || act.handler == SIG_DFL {
        return true;
    }
    act.flags & SA_RESTART != 0
        && !matches!(
            nr,
            NANOSLEEP | CLOCK_NANOSLEEP | PPOLL | PSELECT6 | EPOLL_PWAIT | EPOLL_PWAIT2
        )
}

/// Maps the sigreturn trampoline page on first use.
pub(crate) fn trampoline(p: &mut Process) -> Result<u64, ()> {
    if p.sys.sig.trampoline != 0 {
        return Ok(p.sys.sig.trampoline);
    }
    let page = crate::mem::PAGE_SIZE;
    let at = p
        .mem
        .find_free(page, super::MMAP_MIN, super::MMAP_TOP)
        .ok_or(())?;
    p.mem
        .map_anon(at, page, crate::mem::prot::READ | crate::mem::prot::EXEC)
        .map_err(|_| ())?;
    let mut code = Vec::new();
    for w in TRAMPOLINE {
        code.extend_from_slice(&w.to_le_bytes());
    }
    p.mem.write_bytes_force(at, &code).map_err(|_| ())?;
    p.sys.sig.trampoline = at;
    Ok(at)
}

fn on_altstack(ss: &Option<AltStack>, sp: u64) -> bool {
    ss.is_some_and(|s| sp.wrapping_sub(s.sp) < s.size)
}

/// Builds the riscv64 rt_sigframe for signal `s` and enters the handler.
fn setup_frame(
    p: &mut Process,
    cpu: &mut CpuState,
    s: i32,
    info: &[u8; 128],
    act: &SigAction,
) -> Result<(), ()> {
    let tramp = trampoline(p)?;
    let sp = cpu.x[2];
    let ss = p.sys.altstack;
    let on_alt = on_altstack(&ss, sp);
    // uc_stack: the alternate stack as sigaltstack would report it at the interrupted sp.
    let (ss_sp, ss_flags, ss_size) = match ss {
        Some(a) => (
            a.sp,
            if on_alt {
                SS_ONSTACK
            } else {
                a.flags & !SS_ONSTACK
            },
            a.size,
        ),
        None => (0, SS_DISABLE, 0),
    };
    let mut top = sp;
    if act.flags & SA_ONSTACK != 0 {
        if let Some(a) = ss {
            if !on_alt && a.size != 0 {
                top = a.sp.wrapping_add(a.size);
                if a.flags as u32 & SS_AUTODISARM != 0 {
                    p.sys.altstack = None;
                }
            }
        }
    }
    let frame = top.wrapping_sub(FRAME_SIZE) & !0xf;
    let mut b = vec![0u8; FRAME_SIZE as usize];
    let put = |b: &mut Vec<u8>, off: u64, v: &[u8]| {
        b[off as usize..off as usize + v.len()].copy_from_slice(v);
    };
    put(&mut b, 0, info);
    put(&mut b, UC_STACK, &ss_sp.to_le_bytes());
    put(&mut b, UC_STACK + 8, &(ss_flags as u32).to_le_bytes());
    put(&mut b, UC_STACK + 16, &ss_size.to_le_bytes());
    let old_mask = p.sys.sig.saved_mask.take().unwrap_or(p.sys.sigmask);
    put(&mut b, UC_SIGMASK, &old_mask.to_le_bytes());
    put(&mut b, UC_MCONTEXT, &cpu.pc.to_le_bytes());
    for r in 1..32 {
        put(
            &mut b,
            UC_MCONTEXT + r * 8,
            &cpu.x[r as usize].to_le_bytes(),
        );
    }
    for r in 0..32 {
        put(&mut b, MC_FPREGS + r * 8, &cpu.f[r as usize].to_le_bytes());
    }
    let fcsr = ((cpu.frm & 7) << 5 | (cpu.fflags & 0x1f)) as u32;
    put(&mut b, MC_FCSR, &fcsr.to_le_bytes());
    if p.mem.write_bytes(frame, &b).is_err() {
        return Err(());
    }
    cpu.x[1] = tramp;
    cpu.x[2] = frame;
    cpu.x[10] = s as u64;
    cpu.x[11] = frame;
    cpu.x[12] = frame + UC;
    cpu.pc = act.handler;
    cpu.reservation = translator::NO_RESERVATION;
    let mut block = act.mask;
    if act.flags & SA_NODEFER == 0 {
        block |= bit(s);
    }
    p.sys.sigmask = (p.sys.sigmask | block) & !UNBLOCKABLE;
    if act.flags & SA_RESETHAND != 0 {
        let dfl = SigAction::default();
        p.sys.sigactions.set((s - 1) as usize, dfl);
        sync_host_action(s, &dfl);
    }
    Ok(())
}

/// rt_sigreturn: restores the registers, mask and alternate stack saved in the frame at sp.
/// A frame that cannot be read kills the process with SIGSEGV (as Linux does).
pub fn sigreturn(p: &mut Process, cpu: &mut CpuState) -> Result<(), Exit> {
    let frame = cpu.x[2];
    let mut b = vec![0u8; FRAME_SIZE as usize];
    if p.mem.read_bytes(frame, &mut b).is_err() {
        return Err(Exit::Signal(SIGSEGV));
    }
    let g = |off: u64| super::syscall::abi::get_u64(&b, off as usize);
    p.sys.sigmask = g(UC_SIGMASK) & !UNBLOCKABLE;
    cpu.pc = g(UC_MCONTEXT);
    for r in 1..32 {
        cpu.x[r as usize] = g(UC_MCONTEXT + r * 8);
    }
    for r in 0..32 {
        cpu.f[r as usize] = g(MC_FPREGS + r * 8);
    }
    let fcsr = super::syscall::abi::get_u32(&b, MC_FCSR as usize) as u64;
    cpu.fflags = fcsr & 0x1f;
    cpu.frm = (fcsr >> 5) & 7;
    cpu.reservation = translator::NO_RESERVATION;
    // restore_altstack: as sigaltstack(&uc_stack, NULL) at the restored sp; errors ignored.
    let ss = AltStack {
        sp: g(UC_STACK),
        flags: super::syscall::abi::get_u32(&b, (UC_STACK + 8) as usize) as i32,
        size: g(UC_STACK + 16),
    };
    if !on_altstack(&p.sys.altstack, cpu.x[2]) {
        let mode = (ss.flags as u32 & !SS_AUTODISARM) as i32;
        if mode == SS_DISABLE {
            p.sys.altstack = None;
        } else if ss.size >= 2048 {
            p.sys.altstack = Some(AltStack {
                flags: ss.flags & !SS_ONSTACK,
                ..ss
            });
        }
    }
    sync_host_mask(p);
    Ok(())
}

/// The `si_code` of the signal fault `e` raises (with its name, for strace) and its
/// `si_addr`: the pc for an illegal instruction or a breakpoint, the address otherwise.
pub fn fault_code(p: &Process, cpu: &CpuState, e: &Exception) -> (i32, &'static str, u64) {
    match e.cause {
        Cause::IllegalInstruction => (ILL_ILLOPC, "ILL_ILLOPC", cpu.pc),
        Cause::Breakpoint => (TRAP_BRKPT, "TRAP_BRKPT", cpu.pc),
        Cause::LoadMisaligned | Cause::StoreMisaligned | Cause::InstructionMisaligned => {
            (BUS_ADRALN, "BUS_ADRALN", e.tval)
        }
        Cause::LoadAccessFault | Cause::StoreAccessFault | Cause::InstructionAccessFault => {
            (BUS_ADRERR, "BUS_ADRERR", e.tval)
        }
        _ if p.mem.page_prot(e.tval) & crate::mem::prot::MAPPED != 0 => {
            (SEGV_ACCERR, "SEGV_ACCERR", e.tval)
        }
        _ => (SEGV_MAPERR, "SEGV_MAPERR", e.tval),
    }
}

/// A synchronous fault of guest execution: runs the guest's handler, or ends the process with
/// the signal (Linux's force_sig_fault: a blocked or ignored fault signal kills).
pub fn fault(m: &mut Interp<Process>, e: &Exception) -> After {
    let s = super::signal_for(e);
    let p = &mut m.env;
    let (code, _, addr) = fault_code(p, &m.cpu, e);
    let info = make_info(s, code, |i| i[16..24].copy_from_slice(&addr.to_le_bytes()));
    let act = p.sys.sigactions.get((s - 1) as usize);
    if act.handler == SIG_DFL || act.handler == SIG_IGN || p.sys.sigmask & bit(s) != 0 {
        super::syscall::log_fault(p, &m.cpu, e, s);
        return After::Exit(Exit::Signal(s));
    }
    if setup_frame(p, &mut m.cpu, s, &info, &act).is_err() {
        super::syscall::log_fault(p, &m.cpu, e, s);
        return After::Exit(Exit::Signal(SIGSEGV));
    }
    sync_host_mask(p);
    After::Run
}

/// The host thread id of the calling thread.
pub fn gettid() -> i32 {
    // SAFETY: plain syscall.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

fn getpid() -> i32 {
    // SAFETY: plain getter.
    unsafe { libc::getpid() }
}

fn cvt(r: libc::c_long) -> SysResult {
    super::syscall::cvt(r)
}

/// kill(pid, sig): a host kill, except guest-only signals sent to ourselves.
pub fn kill(p: &mut Process, pid: i32, sig: u64) -> SysResult {
    if sig > 64 {
        return Err(EINVAL);
    }
    let s = sig as i32;
    if s != 0 && bit(s) & GUEST_ONLY != 0 && (pid == getpid() || pid == 0) {
        queue_internal(p, s, kill_info(s, SI_USER));
        if pid == getpid() {
            return Ok(0);
        }
    }
    // SAFETY: sends a signal as the guest asked.
    cvt(unsafe { libc::syscall(libc::SYS_kill, pid as libc::c_long, sig as libc::c_long) })
}

/// tkill(tid, sig) / tgkill(tgid, tid, sig).
pub fn tgkill(p: &mut Process, tgid: Option<i32>, tid: i32, sig: u64) -> SysResult {
    if tid <= 0 || tgid.is_some_and(|t| t <= 0) || sig > 64 {
        return Err(EINVAL);
    }
    let s = sig as i32;
    let here = tgid.is_none_or(|t| t == getpid());
    let me = tid == gettid() && here;
    if me && s != 0 && bit(s) & GUEST_ONLY != 0 {
        queue_internal(p, s, kill_info(s, SI_TKILL));
        return Ok(0);
    }
    if here && s != 0 && bit(s) & GUEST_ONLY != 0 {
        // Another thread of this process: its box, then a wake-up.
        if let Some(b) = super::threads::box_of(p, tid) {
            let act = p.sys.sigactions.get((s - 1) as usize);
            if act.handler != SIG_IGN {
                queue_for_thread(b, tid, s, kill_info(s, SI_TKILL));
            }
            return Ok(0);
        }
    }
    // SAFETY: sends a signal as the guest asked.
    cvt(unsafe {
        match tgid {
            Some(g) => libc::syscall(
                libc::SYS_tgkill,
                g as libc::c_long,
                tid as libc::c_long,
                sig as libc::c_long,
            ),
            None => libc::syscall(libc::SYS_tkill, tid as libc::c_long, sig as libc::c_long),
        }
    })
}

/// rt_sigsuspend(mask, sigsetsize): waits with `mask` for a signal that runs a handler or ends
/// the process; returns EINTR, and the handler's frame carries the mask from before.
pub fn sigsuspend(p: &mut Process, a: &super::syscall::Args) -> SysResult {
    if a[1] != 8 {
        return Err(EINVAL);
    }
    let new = p.mem.read_u64(a[0])? & !UNBLOCKABLE;
    let old = p.sys.sigmask;
    p.sys.sigmask = new;
    loop {
        host_block_all();
        if deliverable(p) || p.group_exiting() {
            break;
        }
        let m = new & !GUEST_ONLY | PENDING.load() | p.sigbox.load();
        // SAFETY: atomically installs `m` and waits for a signal (host_handler records it).
        unsafe { libc::syscall(libc::SYS_rt_sigsuspend, &m as *const u64, 8) };
    }
    p.sys.sig.saved_mask = Some(old);
    Err(EINTR)
}

/// The sigmask argument of ppoll, pselect6 and epoll_pwait(2) at guest address `at` (Linux's
/// set_user_sigmask): `None` when the pointer is null, EINVAL unless `size` is 8.
pub fn read_wait_mask(p: &Process, at: u64, size: u64) -> Result<Option<u64>, Errno> {
    if at == 0 {
        return Ok(None);
    }
    if size != 8 {
        return Err(EINVAL);
    }
    Ok(Some(p.mem.read_u64(at)?))
}

/// Runs the host wait of ppoll, pselect6 or epoll_pwait with the guest's temporary signal mask
/// (`None`: the call's mask pointer was null, the guest's mask stays). `wait(host_mask,
/// nonblocking)` makes the host call with `host_mask` as its own sigmask argument, so the host
/// kernel installs it atomically for the wait as rt_sigsuspend does; with `nonblocking` it must
/// only poll (timeout zero): a signal is deliverable already, and Linux then looks at the
/// descriptors once and returns EINTR if none is ready. After an EINTR with a signal deliverable
/// under the temporary mask, that mask stays until the handler's frame is built, and the frame
/// carries the mask from before (restore_saved_sigmask_unless(true)); otherwise the mask from
/// before is back at once, and a signal that came with ready descriptors stays pending.
pub fn wait_with_mask(
    p: &mut Process,
    mask: Option<u64>,
    wait: impl FnOnce(*const u64, bool) -> SysResult,
) -> SysResult {
    let Some(mask) = mask else {
        return wait(std::ptr::null(), false);
    };
    let old = p.sys.sigmask;
    p.sys.sigmask = mask & !UNBLOCKABLE;
    host_block_all();
    let ready = deliverable(p) || p.group_exiting();
    let m = p.sys.sigmask & !GUEST_ONLY | PENDING.load() | p.sigbox.load();
    let mut r = wait(&m, ready);
    if ready && r == Ok(0) {
        r = Err(EINTR);
    }
    if r == Err(EINTR) && deliverable(p) {
        p.sys.sig.saved_mask = Some(old);
    } else {
        p.sys.sigmask = old;
    }
    sync_host_mask(p);
    r
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize).
pub fn sigtimedwait(p: &mut Process, a: &super::syscall::Args) -> SysResult {
    if a[3] != 8 {
        return Err(EINVAL);
    }
    let set = p.mem.read_u64(a[0])? & !UNBLOCKABLE;
    let ts = if a[2] != 0 {
        let mut t = [0u8; 16];
        p.mem.read_bytes(a[2], &mut t)?;
        Some(t)
    } else {
        None
    };
    let found = |p: &mut Process| -> Option<(i32, [u8; 128])> {
        let s = pick(pending_set(p) & set)?;
        Some((s, take(p, s)?))
    };
    let got = match found(p) {
        Some(x) => Some(x),
        None => {
            let host_set = set & !GUEST_ONLY;
            let mut info = [0u8; 128];
            let tsp = ts.as_ref().map_or(std::ptr::null(), |t| t.as_ptr());
            // SAFETY: host sigset, siginfo buffer of 128 bytes and timespec (same layout).
            let r = unsafe {
                libc::syscall(
                    libc::SYS_rt_sigtimedwait,
                    &host_set as *const u64,
                    info.as_mut_ptr(),
                    tsp,
                    8,
                )
            };
            if r > 0 {
                Some((r as i32, info))
            } else {
                let e = Errno::last();
                match found(p) {
                    Some(x) => Some(x),
                    None => return Err(e),
                }
            }
        }
    };
    let (s, info) = got.ok_or(EAGAIN)?;
    sync_host_mask(p);
    if a[1] != 0 {
        p.mem.write_bytes(a[1], &info)?;
    }
    Ok(s as u64)
}

/// rt_sigpending: signals pending while blocked.
pub fn sigpending(p: &mut Process, a: &super::syscall::Args) -> SysResult {
    if a[1] != 8 {
        return Err(EINVAL);
    }
    let mut host = 0u64;
    // SAFETY: a kernel sigset of 8 bytes.
    unsafe { libc::syscall(libc::SYS_rt_sigpending, &mut host as *mut u64, 8) };
    let all = host | pending_set(p);
    p.mem.write_u64(a[0], all & p.sys.sigmask)?;
    Ok(0)
}

/// Drops pending instances of `s` (its disposition became "ignore").
pub fn discard(p: &mut Process, s: i32) {
    p.sys.sigpending &= !bit(s);
    PENDING.pending.fetch_and(!bit(s), Ordering::AcqRel);
    p.sigbox.pending.fetch_and(!bit(s), Ordering::AcqRel);
}

/// rt_sigqueueinfo(tgid, sig, info) and rt_tgsigqueueinfo(tgid, tid, sig, info): the siginfo
/// is passed on as is (same layout on both ABIs); guest-only signals to ourselves queue here.
pub fn sigqueueinfo(
    p: &mut Process,
    tgid: i32,
    tid: Option<i32>,
    sig: u64,
    uinfo: u64,
) -> SysResult {
    if sig > 64 {
        return Err(EINVAL);
    }
    let mut info = [0u8; 128];
    p.mem.read_bytes(uinfo, &mut info)?;
    let s = sig as i32;
    let me = tgid == getpid() && tid.is_none_or(|t| t == gettid());
    if me && s != 0 && bit(s) & GUEST_ONLY != 0 {
        info[0..4].copy_from_slice(&s.to_le_bytes());
        queue_internal(p, s, info);
        return Ok(0);
    }
    // SAFETY: a host copy of the siginfo.
    cvt(unsafe {
        match tid {
            Some(t) => libc::syscall(
                libc::SYS_rt_tgsigqueueinfo,
                tgid as libc::c_long,
                t as libc::c_long,
                sig as libc::c_long,
                info.as_ptr(),
            ),
            None => libc::syscall(
                libc::SYS_rt_sigqueueinfo,
                tgid as libc::c_long,
                sig as libc::c_long,
                info.as_ptr(),
            ),
        }
    })
}

/// In a forked child: nothing is pending (Linux clears the child's pending signals).
pub fn forget_pending(p: &mut Process) {
    PENDING.pending.store(0, Ordering::Release);
    p.sigbox.pending.store(0, Ordering::Release);
    p.sys.sigpending = 0;
    sync_host_mask(p);
}

/// Just before a host execve: the host mask becomes exactly the guest's (the new program
/// inherits it); caught signals reset to SIG_DFL by themselves and ignored ones stay ignored.
pub fn before_exec(p: &Process) {
    host_setmask(p.sys.sigmask);
}
