//! Host faults as guest-access checks: guest loads and stores the host MMU checks instead of
//! the permission table, and what a host fault at one of them does.
//!
//! # Host-checked loads and stores
//!
//! Where the environment keeps guest memory's host protections in step with the guest's
//! permissions ([`crate::interp::FastMem::with_host_loads`], `with_host_stores`), translated
//! code checks a load (a store) only against the guest address space's bound, with one
//! conditional branch to the block that leaves at its pc for the interpreter
//! ([`super::exit::SLOW`]), and accesses memory right after it: an unreadable (unwritable, or
//! holding code) page faults in the host. (Below, "load" stands for both.)
//!
//! The branch's target is also the fault's landing pad. When the load is the very next host
//! instruction after that branch, the host registers and stack at the fault are exactly those
//! the branch would have handed its target, so resuming there is the same as if the bound check
//! had failed: the guest registers are written back and the interpreter redoes the load,
//! which raises the guest fault precisely (or, after a race with another thread's `mprotect`,
//! just does the load). The register allocator may put a few instructions between the branch
//! and the load (a *gap*: a reload, a move, the computation of a stored value); the load
//! keeps its landing pad when those only write registers the target replaces before reading
//! them ([`super::pad`] reads the machine code to check). Compilation checks this for every
//! such load ([`landing_pad`]); a load without it gets the table check back, so every
//! registered site has one.
//!
//! # The handler
//!
//! One process-wide SIGSEGV/SIGBUS handler ([`install`]):
//! - a fault at a registered site (per code arena, one bit per code byte, see [`SiteMap`])
//!   resumes at the site's landing pad, found from the bytes of the branch that ends where
//!   its gap starts (a second bitmap marks those);
//! - a SIGSEGV elsewhere whose address is in a registered guest region ([`add_region`]) is a
//!   host-side access (the interpreter, a system call) that passed the permission table an
//!   instant before another guest thread took the page away: the page is made host-readable and
//!   -writable again and the access retried, as it would have succeeded a moment earlier
//!   (only a guest racing its own `munmap`/`mprotect` gets there), or a host-side store to a
//!   page holding code (host read-only) that did not open it first, such as the interpreter's
//!   slow store, which also asks for the code to be dropped;
//! - anything else goes to the handler that was installed before (Rust's stack-overflow
//!   report, or the default action).
//!
//! Only x86-64 hosts have the landing pads; elsewhere every load keeps the table check.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Slots for code arenas and guest regions (engines and memories alive at once).
const SLOTS: usize = 64;

struct ArenaSlot {
    claimed: AtomicBool,
    /// Executable start of the arena (0: slot not published).
    start: AtomicUsize,
    len: AtomicUsize,
    bits: AtomicPtr<u64>,
}

struct RegionSlot {
    start: AtomicUsize,
    len: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const ARENA_SLOT: ArenaSlot = ArenaSlot {
    claimed: AtomicBool::new(false),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    bits: AtomicPtr::new(std::ptr::null_mut()),
};
#[allow(clippy::declare_interior_mutable_const)]
const REGION_SLOT: RegionSlot = RegionSlot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
};

static ARENAS: [ArenaSlot; SLOTS] = [ARENA_SLOT; SLOTS];
static REGIONS: [RegionSlot; SLOTS] = [REGION_SLOT; SLOTS];
/// Faults resumed at a landing pad (and of those, at accesses after a gap), and host-side
/// accesses healed (for `--stats` and tests).
static LANDED: AtomicU64 = AtomicU64::new(0);
static LANDED_AFTER_GAP: AtomicU64 = AtomicU64::new(0);
static HEALED: AtomicU64 = AtomicU64::new(0);

/// The dispositions [`install`] replaced, for faults that are not ours.
static OLD_SEGV: OnceLock<Disposition> = OnceLock::new();
static OLD_BUS: OnceLock<Disposition> = OnceLock::new();
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// A saved `struct sigaction` (plain data, never changed after it is saved).
struct Disposition(libc::sigaction);
// SAFETY: a sigaction is plain data (a handler address, a mask, flags); it is written once
// before the handler that reads it is installed and only read afterwards.
unsafe impl Sync for Disposition {}
unsafe impl Send for Disposition {}

/// Whether this host can resume translated code at a landing pad.
pub const SUPPORTED: bool = cfg!(all(target_arch = "x86_64", target_os = "linux"));

/// Faults in translated code resumed at a landing pad so far (process-wide).
pub fn landed() -> u64 {
    LANDED.load(Ordering::Relaxed)
}

/// Of [`landed`], the faults at accesses with a gap of other instructions between their
/// bound check and the access (see [`landing_pad`]).
pub fn landed_after_gap() -> u64 {
    LANDED_AFTER_GAP.load(Ordering::Relaxed)
}

/// Host-side accesses to guest pages taken away meanwhile, healed so far (process-wide).
pub fn healed() -> u64 {
    HEALED.load(Ordering::Relaxed)
}

/// Installs the fault handler (once per process); false if the host cannot have it.
pub fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        if !SUPPORTED {
            return false;
        }
        for (sig, old) in [(libc::SIGSEGV, &OLD_SEGV), (libc::SIGBUS, &OLD_BUS)] {
            // SAFETY: reads the current disposition into a zeroed sigaction, then installs
            // `on_fault` with SA_SIGINFO (its signature) and SA_ONSTACK (the alternate stack
            // Rust gives each thread, if any). The old disposition is saved before the new
            // handler can run.
            unsafe {
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut prev) != 0 {
                    return false;
                }
                let _ = old.set(Disposition(prev));
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_fault as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                    return false;
                }
            }
        }
        true
    })
}

/// Registers guest region `[start, start + len)` (host addresses) for healing (see the
/// module documentation); returns its slot, `None` when all are taken.
pub fn add_region(start: usize, len: usize) -> Option<usize> {
    for (i, s) in REGIONS.iter().enumerate() {
        if s.len
            .compare_exchange(0, len, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            s.start.store(start, Ordering::Release);
            return Some(i);
        }
    }
    None
}

/// Forgets the region of slot `i` (its memory is being unmapped).
pub fn remove_region(i: usize) {
    if let Some(s) = REGIONS.get(i) {
        s.start.store(0, Ordering::Release);
        s.len.store(0, Ordering::Release);
    }
}

/// The longest gap, in bytes, between a bound check's branch and its access (see
/// [`landing_pad`]; the handler searches that far back for the gap's start).
pub const MAX_GAP: usize = 64;

/// The registered load sites of one code arena: one bit per byte of code, and as many bits
/// again, after those, marking the starts of their gaps (the ends of their branches).
pub struct SiteMap {
    slot: usize,
    bits: *mut u64,
    words: usize,
}

// SAFETY: the bitmap is owned by this value (and read, not written, by the fault handler);
// updates are atomic.
unsafe impl Send for SiteMap {}

impl SiteMap {
    /// A site map for the arena whose executable view is `[start, start + len)`; `None` if
    /// the host has no landing pads, the handler could not be installed, or no slot is free.
    pub fn new(start: usize, len: usize) -> Option<Self> {
        if !install() {
            return None;
        }
        let words = len.div_ceil(64);
        let bytes = (2 * words * 8).next_multiple_of(4096);
        // SAFETY: a fresh anonymous read-write mapping (zero-filled, committed lazily).
        let bits = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if bits == libc::MAP_FAILED {
            return None;
        }
        let bits = bits.cast::<u64>();
        let Some(slot) = ARENAS.iter().position(|s| {
            s.claimed
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        }) else {
            // SAFETY: unmapping the bitmap mapped just above, unused.
            unsafe { libc::munmap(bits.cast(), bytes) };
            return None;
        };
        let s = &ARENAS[slot];
        s.bits.store(bits, Ordering::Relaxed);
        s.len.store(len, Ordering::Relaxed);
        s.start.store(start, Ordering::Release);
        Some(Self { slot, bits, words })
    }

    fn word(&self, i: usize) -> &AtomicU64 {
        debug_assert!(i < 2 * self.words);
        // SAFETY: `i < 2 * words` (callers), the bitmaps hold `2 * words` u64s, and AtomicU64
        // has the layout of u64.
        unsafe { &*self.bits.add(i).cast::<AtomicU64>() }
    }

    /// Registers the access at byte `offset` of the arena, whose gap starts at byte `start`
    /// (its landing pad was checked: [`landing_pad`]).
    pub fn mark(&self, offset: usize, start: usize) {
        if offset / 64 < self.words && start <= offset && offset - start <= MAX_GAP {
            // The gap's start first: the handler looks for it once it sees the site.
            self.word(self.words + start / 64)
                .fetch_or(1 << (start % 64), Ordering::Release);
            self.word(offset / 64)
                .fetch_or(1 << (offset % 64), Ordering::Release);
        }
    }

    /// Forgets every site in bytes `[from, to)` (the code there is being dropped; nothing
    /// runs it). Only the words of that range are touched: a flush costs the code in use,
    /// not the arena's capacity.
    pub fn clear(&self, from: usize, to: usize) {
        let to = to.min(self.words * 64);
        if from >= to {
            return;
        }
        let (first, last) = (from / 64, (to - 1) / 64);
        for i in first..=last {
            // The bits of word i inside [from, to).
            let lo = if i == first { from % 64 } else { 0 };
            let hi = if i == last { (to - 1) % 64 } else { 63 };
            let mask = (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
            self.word(i).fetch_and(!mask, Ordering::Release);
            self.word(self.words + i)
                .fetch_and(!mask, Ordering::Release);
        }
    }
}

impl Drop for SiteMap {
    fn drop(&mut self) {
        let s = &ARENAS[self.slot];
        s.start.store(0, Ordering::Release);
        s.bits.store(std::ptr::null_mut(), Ordering::Release);
        // SAFETY: the bitmap this value mapped; the slot no longer points to it, and nothing
        // runs the arena's code any more (its owner is being dropped).
        unsafe {
            libc::munmap(
                self.bits.cast(),
                (2 * self.words * 8).next_multiple_of(4096),
            )
        };
        s.claimed.store(false, Ordering::Release);
    }
}

/// The landing pad of a registered site at host address `pc`, if it is one.
fn landing(pc: usize) -> Option<usize> {
    for s in &ARENAS {
        let start = s.start.load(Ordering::Acquire);
        let len = s.len.load(Ordering::Relaxed);
        if start == 0 || pc < start || pc - start >= len {
            continue;
        }
        let bits = s.bits.load(Ordering::Acquire);
        if bits.is_null() {
            return None;
        }
        let off = pc - start;
        let words = len.div_ceil(64);
        let bit = |i: usize| {
            // SAFETY: callers pass `i < 2 * words * 64`: the word is inside the two bitmaps
            // of `words` u64s each.
            let w = unsafe { (*bits.add(i / 64).cast::<AtomicU64>()).load(Ordering::Acquire) };
            w >> (i % 64) & 1 != 0
        };
        if !bit(off) {
            return None;
        }
        // The gap's start: the nearest marked start at or before the site (no other
        // block, so no other gap, starts inside a gap).
        let from = off.saturating_sub(MAX_GAP);
        let b = (from..=off).rev().find(|&i| bit(words * 64 + i))?;
        if b < 6 {
            return None;
        }
        if b != off {
            LANDED_AFTER_GAP.fetch_add(1, Ordering::Relaxed);
        }
        let branch_end = start + b;
        // SAFETY: registered gaps start right after a 6-byte `jcc rel32` inside the same
        // function (checked when they were registered), so the 4 bytes before them are
        // readable code.
        let rel = unsafe {
            (branch_end as *const u8)
                .sub(4)
                .cast::<i32>()
                .read_unaligned()
        };
        return Some(branch_end.wrapping_add_signed(rel as isize));
    }
    None
}

/// Makes the host page at `addr` readable and writable again if it is inside a registered
/// guest region.
fn heal(addr: usize) -> bool {
    for s in &REGIONS {
        let start = s.start.load(Ordering::Acquire);
        let len = s.len.load(Ordering::Acquire);
        if len == 0 || addr < start || addr - start >= len {
            continue;
        }
        let page = addr & !4095;
        // SAFETY: the page is inside a guest memory's own reservation (registered by it);
        // changing its protection affects only guest memory.
        let r = unsafe {
            libc::mprotect(
                page as *mut libc::c_void,
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if r == 0 {
            HEALED.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        return false;
    }
    false
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
/// # Safety
/// Called by the kernel as an SA_SIGINFO handler with a valid `ucontext_t`.
unsafe fn pc_of(uc: *mut libc::c_void) -> Option<*mut libc::greg_t> {
    let uc = uc.cast::<libc::ucontext_t>();
    // SAFETY: the kernel passes the interrupted context; REG_RIP indexes its gregs.
    Some(unsafe { &mut (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] as *mut libc::greg_t })
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
unsafe fn pc_of(_uc: *mut libc::c_void) -> Option<*mut libc::greg_t> {
    None
}

extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel calls this with valid `info` and `uc` for a synchronous fault of this
    // thread. Everything below is async-signal-safe: atomic loads, reads of registered code,
    // mprotect, and sigaction.
    unsafe {
        if let Some(pc) = pc_of(uc) {
            if let Some(pad) = landing(*pc as usize) {
                *pc = pad as libc::greg_t;
                LANDED.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        if sig == libc::SIGSEGV && heal((*info).si_addr() as usize) {
            return;
        }
        let old = if sig == libc::SIGSEGV {
            OLD_SEGV.get()
        } else {
            OLD_BUS.get()
        };
        let h = old.map_or(libc::SIG_DFL, |d| d.0.sa_sigaction);
        if h == libc::SIG_DFL || h == libc::SIG_IGN {
            // Let the fault happen again with the default action (a core dump, as without us).
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        } else if old.is_some_and(|d| d.0.sa_flags & libc::SA_SIGINFO != 0) {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(h);
            f(sig, info, uc);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(h);
            f(sig);
        }
    }
}

/// The landing pad of the host-checked access at offset `site` of function `code`, if it has
/// one, with the start of its gap (see [`super::pad`]): the end of the `jcc rel32` whose
/// target is the pad (the fault handler finds the pad from the branch's bytes), as
/// `(gap start, pad)`. `starts` are the function's block offsets.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub fn landing_pad(code: &[u8], site: u32, starts: &[u32]) -> Option<(u32, u32)> {
    super::pad::find(code, site, starts)
}

/// Without landing pads on this host, every access keeps the permission-table check.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
pub fn landing_pad(_code: &[u8], _site: u32, _starts: &[u32]) -> Option<(u32, u32)> {
    None
}
