//! The Cranelift JIT engine: guest blocks lowered through the shared instruction semantics
//! (the [`clif::ClifEmitter`]) into host code, with tiering from the interpreter, block chaining
//! by tail calls, an inline jump cache for indirect jumps and inline guest memory accesses.
//!
//! # Execution model
//!
//! [`JitEngine::run`] is a dispatch loop over guest block addresses. A block is first executed
//! by the interpreter ([`crate::interp::run_block`]); once it has been dispatched
//! `jit_threshold` times it is translated and from then on runs as host code. Either engine can
//! take over at any block boundary because both keep the whole guest state in [`CpuState`].
//!
//! # Speculation and translating again
//!
//! A translation bets on what the interpreter saw: where computed calls and switches went
//! ([`crate::interp::Interp::jumps`]), divisors, that floating-point operations take their
//! fast paths. Every bet is checked in the code, and a lost one is always handled correctly,
//! but some are handled slowly: a switch going to a place outside its region returns to
//! the dispatcher ([`exit::MISS`]), a floating-point operation whose fast path does not
//! apply leaves for the interpreter ([`exit::FP`]). The dispatcher counts these exits per
//! translation (by a chain slot the exit names) and past a limit translates the region
//! again, with the new switch targets inside or with helper calls for the floating-point
//! operations; the new code replaces the old in the map, the jump cache and the chain slots
//! linked to it (`JitEngine::retranslate`).
//!
//! # ABI of translated code
//!
//! * A block is a `CallConv::Tail` function `fn(cpu: *mut CpuState, ctx: *mut JitCtx) -> u64`.
//!   Rust enters through a host-convention trampoline `fn(cpu, ctx, code) -> u64` that calls it.
//! * Guest registers live in [`CpuState`] between blocks (offsets by `offset_of!`).
//! * A block ends by tail-calling its successor (a direct exit whose chain slot is linked, or an
//!   indirect exit that hits the jump cache, and only while `instret < cpu.stop_at`) or by
//!   returning an exit code (`exit::*`): `cpu.pc` and `cpu.instret` are then exact, and for
//!   `EXCEPTION` the exception is in `cpu.pending`.
//! * Helpers are `extern "C" fn(*mut JitCtx or *mut CpuState, u64, u64, u64) -> u64` called by
//!   address (no relocations: code is copied as-is into [`code::CodeMem`]). Faults raised in a
//!   helper are reported through `cpu.pending`, as for [`crate::emit::Helper`]s.

pub mod clif;
mod code;
pub mod fault;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod pad;
mod probe;
pub mod verify;
mod window;

use crate::pcmap::PcMap as HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::types::I64;
use cranelift_codegen::ir::{Function, InstBuilder, UserFuncName};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;

use crate::decode::Table;
use crate::emit::{AmoOp, CsrOp, Emitter, FenceKind, SystemOp, Width};
use crate::interp::{
    target_slot, Block, Chained, CountedChain, Env, FastMem, Interp, InterpEngine, SoftTlb,
    JUMP_HISTORY, JUMP_RECORDS, MAX_BLOCK_INSNS,
};
use crate::{CpuState, Exception};

use clif::{ClifEmitter, HelperAddrs, Lowering};
use code::CodeMem;
use probe::Probe;

/// Exit codes returned by translated code (low 8 bits; `CHAIN`, `MISS` and `FP` carry a chain
/// slot in the rest).
pub mod exit {
    /// Back to the dispatcher; `cpu.pc` is the next block.
    pub const RETURN: u64 = 0;
    /// An exception at `cpu.pc`, held in `cpu.pending`.
    pub const EXCEPTION: u64 = 1;
    /// An indirect jump missed the jump cache; `cpu.pc` is its target.
    pub const LOOKUP: u64 = 2;
    /// A direct exit whose chain slot (`code >> 8`) is not linked yet; `cpu.pc` is its target.
    pub const CHAIN: u64 = 3;
    /// A memory access missed the inline fast path; `cpu.pc` is its instruction, which the
    /// dispatcher runs in the interpreter (with the rest of its interpreter block).
    pub const SLOW: u64 = 4;
    /// A switch (a computed jump neither a call nor a return) went to a place its region
    /// does not branch to, while its chain slot (`code >> 8`) is 0; `cpu.pc` is its target.
    pub const MISS: u64 = 5;
    /// A floating-point operation's inline fast path did not apply (see
    /// `ClifEmitter::set_fp_exits`); `cpu.pc` is its instruction, which the dispatcher runs
    /// in the interpreter, and the chain slot `code >> 8` identifies the translation.
    pub const FP: u64 = 6;
}

/// The context translated code receives besides the CPU state: one per engine (thread).
/// Other threads sharing the code cache read `in_jit` and lower the owner's
/// [`CpuState::stop_at`] through `cpu_stop` ([`JitCtx::request_stop`], used by
/// [`SharedCode`]); the other fields are only used by the owning thread.
///
/// The budget itself is in the CPU state, not here: chained exits and edges inside a region
/// return to the dispatcher once `cpu.instret` reaches `cpu.stop_at`, one compare with memory
/// at a fixed offset from the state pointer (this context's pointer is often spilled in a
/// loop). Helpers set it to 0 when the environment asks for an exit (so the run returns soon,
/// as the interpreter's poll before each block would); another thread sets it to 0 when
/// translated code changed.
#[repr(C)]
pub struct JitCtx {
    /// The `Interp<X>` being run (helpers reach the `Env` through it).
    interp: AtomicPtr<()>,
    /// The `stop_at` of the CPU state being run, valid while `in_jit` is set.
    cpu_stop: AtomicPtr<AtomicU64>,
    /// Other threads inside [`JitCtx::request_stop`]: the owner waits for none to be left
    /// after leaving translated code, before the CPU state may go away.
    writers: AtomicU64,
    /// Requests helpers took from the environment (`REQ_*` bits), acted on by the dispatcher
    /// when translated code returns.
    requests: AtomicU64,
    /// Address of this thread's jump cache (`JC_SIZE` [`JcEntry`]s owned by its engine), read
    /// by translated code for indirect jumps.
    jc: u64,
    /// The owning thread is inside translated code (between entering and the return).
    in_jit: AtomicBool,
    /// Pages of stale code a helper took from the environment ([`REQ_PAGES`]).
    stale: Mutex<Vec<(u64, u64)>>,
}

impl JitCtx {
    /// Makes the owner's translated code return at its next chained exit or region back edge,
    /// if it is running (called by another thread that changed the code).
    fn request_stop(&self) {
        self.writers.fetch_add(1, Ordering::SeqCst);
        if self.in_jit.load(Ordering::SeqCst) {
            let p = self.cpu_stop.load(Ordering::SeqCst);
            if !p.is_null() {
                // SAFETY: the owner set `cpu_stop` to its CPU state's `stop_at` before setting
                // `in_jit`, and after clearing `in_jit` it waits until `writers` is 0 before the
                // state may go away (`JitEngine::leave_jit`). `writers` was raised before
                // `in_jit` was seen set, so the state outlives this store. Only atomic access.
                unsafe { (*p).store(0, Ordering::SeqCst) };
            }
        }
        self.writers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// [`JitCtx::requests`]: translated code must be flushed (the run goes on).
const REQ_FLUSH: u64 = 1;
/// [`JitCtx::requests`]: the environment asked the run to return.
const REQ_EXIT: u64 = 2;
/// [`JitCtx::requests`]: the code of the pages in [`JitCtx::stale`] must go (the run goes on).
const REQ_PAGES: u64 = 4;

/// One jump-cache entry: a guest pc and the host code of its block.
#[repr(C)]
struct JcEntry {
    pc: AtomicU64,
    code: AtomicU64,
}

/// Number of jump-cache entries (a power of two).
const JC_SIZE: usize = 4096;
/// Tag of an empty jump-cache entry (odd, so never a guest pc).
const JC_EMPTY: u64 = u64::MAX;
/// Most guest instructions in one translated region.
const MAX_REGION_INSNS: usize = 192;
/// Most guest blocks in one translated region.
const MAX_REGION_BLOCKS: usize = 24;

/// A decoded region: its guest blocks (start address, instructions with their addresses).
type Region = Vec<(u64, Vec<(u64, crate::decode::Decoded<ClifEmitter>)>)>;

/// For each block of a region (at `starts`), the indices of the blocks it may continue at,
/// given each block's possible successor addresses in `flow` (addresses outside the region
/// are left out).
fn successors(starts: &[u64], flow: &[(u64, [Option<u64>; 3])]) -> Vec<Vec<usize>> {
    let index = |a: u64| starts.iter().position(|&s| s == a);
    flow.iter()
        .map(|(_, t)| t.iter().flatten().filter_map(|&a| index(a)).collect())
        .collect()
}

/// Adds the edges `(from, to)` to `succ` ([`successors`]) that are not there yet.
fn add_edges(succ: &mut [Vec<usize>], edges: impl IntoIterator<Item = (usize, usize)>) {
    for (i, j) in edges {
        if !succ[i].contains(&j) {
            succ[i].push(j);
        }
    }
}

/// Most return addresses one computed jump compares its target with before looking it up.
const MAX_RETURN_SITES: usize = 4;

/// Edges `(from, to)` between the blocks of a region for returns inside it: for each direct
/// call whose callee and return address are both region blocks (`calls[i]` = (callee,
/// return) for call block `i`), from the callee's blocks that end in a computed jump
/// (`indirect`) to the return address. The callee's blocks are those reachable from its
/// entry along `succ` ([`successors`]), stepping over the calls it makes to their return
/// addresses (so its own callees' returns do not count as its returns). At most
/// [`MAX_RETURN_SITES`] per jump.
fn return_edges(
    succ: &[Vec<usize>],
    calls: &[Option<(usize, usize)>],
    is_call: &[bool],
    indirect: &[bool],
) -> Vec<(usize, usize)> {
    let n = succ.len();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for &(callee, ret) in calls.iter().flatten() {
        let mut seen = vec![false; n];
        let mut stack = vec![callee];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            if indirect[i] {
                let out = edges.iter().filter(|&&(f, _)| f == i).count();
                if out < MAX_RETURN_SITES && !edges.contains(&(i, ret)) {
                    edges.push((i, ret));
                }
            }
            if is_call[i] {
                // Its callee returns to its return address (if in the region).
                if let Some((_, r)) = calls[i] {
                    stack.push(r);
                }
            } else {
                stack.extend(succ[i].iter().copied());
            }
        }
    }
    edges
}

/// For each block of a region, the registers some path from the region's entry (its first
/// block) may have written before reaching it, given each block's written registers in
/// `flow` and its successors `succ` ([`successors`]; an over-approximation is fine: the sets
/// only grow).
fn region_dirty(flow: &[(u64, [Option<u64>; 3])], succ: &[Vec<usize>]) -> Vec<u64> {
    let mut dirty = vec![0u64; flow.len()];
    loop {
        let mut changed = false;
        for (i, (written, _)) in flow.iter().enumerate() {
            let out = dirty[i] | written;
            for &j in &succ[i] {
                if dirty[j] | out != dirty[j] {
                    dirty[j] |= out;
                    changed = true;
                }
            }
        }
        if !changed {
            return dirty;
        }
    }
}

/// For each block of a region, given its successors `succ` ([`successors`]) and the
/// registers each block reads (`reads`): the registers read by the blocks of the cycles it
/// lies on (0 for a block on none). The loop carries them in host registers; elsewhere a block loads
/// what it reads where it needs it, so registers are not live across the whole region (the
/// register pressure of a region spanning a function's prologue, loops and epilogue, or
/// entered again after every call in it, spills values inside its loops).
fn loop_reads(succ: &[Vec<usize>], reads: &[u64]) -> Vec<u64> {
    // reach[i]: blocks reachable from block i in one or more steps (at most 64 blocks).
    let n = succ.len().min(64);
    let mut reach: Vec<u64> = succ
        .iter()
        .take(n)
        .map(|js| js.iter().filter(|&&j| j < n).fold(0u64, |m, &j| m | 1 << j))
        .collect();
    loop {
        let mut changed = false;
        for i in 0..n {
            let mut r = reach[i];
            let mut m = reach[i];
            while m != 0 {
                let j = m.trailing_zeros() as usize;
                m &= m - 1;
                r |= reach[j];
            }
            if r != reach[i] {
                reach[i] = r;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Blocks i and j share a cycle when each reaches the other.
    (0..succ.len())
        .map(|i| {
            if i >= n || reach[i] >> i & 1 == 0 {
                return 0;
            }
            (0..n)
                .filter(|&j| reach[i] >> j & 1 != 0 && reach[j] >> i & 1 != 0)
                .fold(0u64, |m, j| m | reads[j])
        })
        .collect()
}

/// Size of the dispatcher's direct-mapped pc -> block cache.
const DC_SIZE: usize = 4096;
/// Translations installed by every engine of this host process.
static TRANSLATIONS: AtomicU64 = AtomicU64::new(0);

/// Code cache of an engine that left its process's shared code ([`JitEngine::flush`]).
const DETACHED_CODE_CACHE: usize = 16 << 20;
/// Chain slots reserved for one translation (a region's exits to known addresses; exits past
/// the reservation return to the dispatcher instead of chaining).
const SLOTS_PER_TRANSLATION: u32 = 64;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Translated code shared by the engines of one guest process's threads (each engine has its
/// own [`JitCtx`], jump cache and block records): the code memory, the translations (guest pc
/// and code context -> host code) and the chain slots baked into them.
///
/// Code changes are handled by generations: an invalidation empties the map and moves
/// `gen` on; each engine drops what it cached (jump cache, block records) when it sees a new
/// generation, before it enters translated code again, and threads still running old code are
/// asked to leave it at their next exit (their `stop_at` is lowered). Old code stays in memory,
/// unreachable, until the memory or the chain slots run out: the engine that needs room then
/// stops the world (waits until no other thread is inside translated code; they leave at their
/// next exit or region edge) and resets the memory. With one engine, an invalidation resets at
/// once.
pub struct SharedCode<X> {
    inner: Mutex<CodeInner>,
    /// Generation of the translations in `inner.map` (and of the code reachable from them).
    gen: AtomicU64,
    /// A stop-the-world reset is in progress: no engine may enter translated code.
    resetting: AtomicBool,
    /// Chain slots: one host code address per direct exit of a translation, 0 while unlinked.
    slots: Box<[AtomicU64]>,
    /// The contexts of the engines sharing this code.
    threads: Mutex<Vec<Arc<JitCtx>>>,
    /// The entry trampoline and the jump-cache miss stub (pinned in the code memory).
    trampoline: usize,
    lookup_stub: usize,
    /// The code memory registers host-checked accesses ([`CodeMem::has_sites`]).
    host_sites: bool,
    /// The code calls helpers instantiated for environment `X`.
    _env: PhantomData<fn(X)>,
}

struct CodeInner {
    code: CodeMem,
    /// (pc, code context) -> host code, for the current generation.
    map: HashMap<(u64, u64), usize>,
    /// The virtual pages each translation of `map` has instruction bytes on (for dropping
    /// the translations of some pages, [`JitEngine::invalidate_pages`]).
    pages: HashMap<(u64, u64), Vec<u64>>,
    /// Chain slots handed out since the last reset.
    next_slot: u32,
    /// Translations of the current generation some engine is compiling (the others
    /// interpret those blocks meanwhile instead of compiling them too).
    pending: std::collections::HashSet<(u64, u64)>,
}

/// Holds a [`SharedCode`]'s locks across a host `fork()`, so that the child (where only the
/// forking thread goes on) finds them free. See [`SharedCode::fork_guard`].
pub struct ForkGuard<'a> {
    _inner: MutexGuard<'a, CodeInner>,
    _threads: MutexGuard<'a, Vec<Arc<JitCtx>>>,
}

impl<X> SharedCode<X> {
    /// Takes the locks for a `fork()` made by a thread running one of the engines (drop the
    /// guard after the fork, in the parent and in the child). In the child, that thread's
    /// engine then finds itself the only user of the code (and keeps it).
    pub fn fork_guard(&self) -> ForkGuard<'_> {
        let inner = lock(&self.inner);
        ForkGuard {
            _inner: inner,
            _threads: lock(&self.threads),
        }
    }

    fn reset_locked(&self, g: &mut CodeInner) {
        g.code.reset();
        // Only the slots handed out since the last reset can be linked.
        let used = (g.next_slot as usize).min(self.slots.len());
        for s in self.slots[..used].iter() {
            s.store(0, Ordering::Relaxed);
        }
        g.next_slot = 0;
        g.map.clear();
        g.pages.clear();
        g.pending.clear();
    }

    /// Drops every translation (guest code changed). Called by `me`'s engine from its
    /// dispatcher (outside translated code).
    fn invalidate(&self, me: &Arc<JitCtx>) {
        let mut g = lock(&self.inner);
        let threads = lock(&self.threads);
        if threads.iter().all(|t| Arc::ptr_eq(t, me)) {
            // Nobody else can be running the code: free it now.
            self.reset_locked(&mut g);
            self.gen.fetch_add(1, Ordering::SeqCst);
            return;
        }
        g.map.clear();
        g.pages.clear();
        g.pending.clear();
        self.gen.fetch_add(1, Ordering::SeqCst);
        for t in threads.iter().filter(|t| !Arc::ptr_eq(t, me)) {
            t.request_stop();
        }
    }

    /// Empties the code memory and the chain slots once no other engine runs translated code
    /// (they are asked to return to their dispatchers, which wait until the reset is done).
    fn reset_all(&self, me: &Arc<JitCtx>) {
        let mut g = lock(&self.inner);
        self.resetting.store(true, Ordering::SeqCst);
        let threads: Vec<Arc<JitCtx>> = lock(&self.threads).clone();
        let others = || threads.iter().filter(|t| !Arc::ptr_eq(t, me));
        for t in others() {
            t.request_stop();
        }
        for t in others() {
            // Translated code returns at its next chained exit or region edge (both check
            // `stop_at`), or when its block ends.
            while t.in_jit.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
        }
        self.reset_locked(&mut g);
        self.gen.fetch_add(1, Ordering::SeqCst);
        self.resetting.store(false, Ordering::SeqCst);
    }
}

/// Cranelift optimisation level for translated blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptLevel {
    None,
    Speed,
}

/// Cranelift's register allocator for translated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegAlloc {
    /// regalloc2's backtracking allocator: better code, the default.
    Backtracking,
    /// regalloc2's single-pass allocator: about 3x less compile time on our regions, slower
    /// code. For workloads where compiling dominates (booting a kernel, `xlate boot`).
    SinglePass,
}

/// Parameters of a [`JitEngine`].
#[derive(Clone, Debug)]
pub struct JitConfig {
    /// Bytes of host code memory; the whole cache is flushed when it is full.
    pub code_cache_size: usize,
    /// A block is translated after it has been dispatched this many times in the interpreter
    /// (0 or 1: translate at first execution).
    pub jit_threshold: u32,
    pub opt_level: OptLevel,
    pub regalloc: RegAlloc,
    /// Run the Cranelift IR verifier on every block (slow; for tests and debug builds).
    pub verify: bool,
    /// Compile on a background thread ([`Compiler`]): a hot block is decoded and lowered to
    /// IR on the running thread, which goes on interpreting it until the compiled code is
    /// installed (at a later dispatch). For workloads where compiling dominates (booting a
    /// kernel); off in lockstep verification.
    pub background: bool,
    /// Measure the time spent in translated code and in the interpreter
    /// ([`JitStats::jit_ns`], [`JitStats::interp_ns`]): two clock reads per entry into either.
    pub time_split: bool,
}

/// Default size of the code cache (bytes).
pub const DEFAULT_CODE_CACHE_SIZE: usize = 64 << 20;
/// Default translation threshold (dispatches in the interpreter). Measured (benches/jit.rs):
/// a block costs ~45-75 us to translate at opt_level none (8 instructions) and saves ~3-4 ns
/// per instruction per execution, so break-even is ~1500-2000 executions; translating at about
/// that count bounds the loss on warm-but-not-hot code.
pub const DEFAULT_JIT_THRESHOLD: u32 = 1000;

impl Default for JitConfig {
    fn default() -> Self {
        Self {
            code_cache_size: DEFAULT_CODE_CACHE_SIZE,
            jit_threshold: DEFAULT_JIT_THRESHOLD,
            opt_level: OptLevel::None,
            regalloc: RegAlloc::Backtracking,
            verify: cfg!(debug_assertions),
            background: false,
            time_split: false,
        }
    }
}

/// Errors creating the engine (not guest faults).
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    #[error("cannot map {size} bytes of executable memory for the code cache: {err}")]
    CodeMemory { size: usize, err: std::io::Error },
    #[error("the host is not supported by Cranelift: {0}")]
    Host(String),
    #[error("internal JIT error: {0}")]
    Internal(String),
}

/// Statistics of the JIT engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct JitStats {
    /// Blocks translated to host code.
    pub blocks_translated: u64,
    /// Guest instructions in those blocks.
    pub insns_translated: u64,
    /// Time spent translating and compiling, in nanoseconds.
    pub compile_ns: u64,
    /// Host code bytes produced (all translations, including flushed ones).
    pub code_bytes: u64,
    /// Chain slots linked (direct exits that now continue without returning to Rust).
    pub chained_exits: u64,
    /// Whole-cache flushes (code changed, or the cache was full).
    pub flushes: u64,
    /// Partial invalidations: the code of some pages dropped, the rest kept
    /// ([`Env::take_code_invalidation`]).
    pub invalidations: u64,
    /// Translations Cranelift rejected (the block stays interpreted).
    pub compile_failures: u64,
    /// Entries into translated code from the dispatcher.
    pub jit_entries: u64,
    /// The dispatcher's lookups of the code for a guest address: found in the jump cache, or
    /// looked up in the block map (a block not translated yet, or not in the jump cache).
    pub jc_hits: u64,
    pub jc_misses: u64,
    /// Computed jumps of translated code whose inline jump-cache lookup missed (they return
    /// to the dispatcher, [`exit::LOOKUP`]).
    pub lookup_exits: u64,
    /// With [`JitConfig::time_split`]: nanoseconds in translated code (from the dispatcher's
    /// entry to the exit, helpers included) and in the interpreter.
    pub jit_ns: u64,
    pub interp_ns: u64,
    /// Blocks executed by the interpreter.
    pub interp_blocks: u64,
    /// Divisions translated specialised for the divisor they last had in the interpreter
    /// (their constant's reciprocal when it is that divisor again).
    pub divisions_specialised: u64,
    /// Computed jumps translated to a table of the places they went in the interpreter (a
    /// `switch`, see `ClifEmitter::switch`).
    pub switch_tables: u64,
    /// Reports of switches that went to a place outside their region ([`exit::MISS`]).
    pub switch_misses: u64,
    /// Exits of floating-point operations whose fast path did not apply ([`exit::FP`]).
    pub fp_exits: u64,
    /// Regions translated again because their switches went elsewhere or their
    /// floating-point operations left too often.
    pub retranslations: u64,
    /// Exits of translated code to the interpreter for a memory access off the fast path.
    pub slow_exits: u64,
    /// Guest loads and stores in installed code checked by the host MMU (see [`fault`]), and
    /// those of them with a gap of other instructions between their bound check and the access.
    pub host_checked: u64,
    pub host_gaps: u64,
    /// Lockstep verification ([`JitEngine::set_lockstep`]): entries into translated code
    /// checked against the interpreter, and entries not checked (the interpreter's result
    /// was kept, see [`verify`]).
    pub verified: u64,
    pub verify_skipped: u64,
}

/// One block just translated, as told to a [`BlockObserver`].
pub struct TranslatedBlock<'a> {
    /// Guest address of the block's first instruction.
    pub guest_pc: u64,
    /// Guest instructions translated (a superblock may span several guest ranges).
    pub guest_insns: u64,
    /// Each guest instruction: address, bits as fetched (16 for a compressed one), length.
    pub insns: &'a [(u64, u32, u8)],
    /// The host code: its address in the code cache and its bytes.
    pub host_addr: usize,
    pub host_code: &'a [u8],
    /// The Cranelift IR, when the observer asked for it ([`BlockObserver::want_ir`]).
    pub ir: Option<&'a str>,
}

/// Told about every block the JIT translates (perf maps, profilers, block dumps). Called on
/// the translating thread, after the code is installed and before it first runs.
pub trait BlockObserver: Send + Sync {
    /// Whether [`TranslatedBlock::ir`] should be filled in (costs a printout per block).
    fn want_ir(&self) -> bool {
        false
    }
    fn translated(&self, block: &TranslatedBlock);
}

/// What the dispatcher knows about one guest block address.
struct BlockInfo<X> {
    /// The interpreter's decoded block (decoded on first interpretation).
    interp: Option<Block<X>>,
    /// Dispatches while interpreted.
    count: u32,
    /// Host code address, 0 while not translated.
    code: usize,
    /// Translation failed: always interpret.
    no_jit: bool,
    /// Targets outside the region its switches reported since it was last translated.
    misses: u32,
    /// [`exit::FP`] exits of its current translation.
    fp_exits: u32,
    /// Its floating-point operations call their helpers when their fast path does not
    /// apply, instead of leaving for the interpreter (they left too often).
    fp_calls: bool,
    /// Times it was translated again (for switches at most [`MAX_RETRANSLATIONS`]).
    retranslations: u8,
}

/// A translation's exit the dispatcher counts ([`exit::MISS`], [`exit::FP`]), by the chain
/// slot it reports.
#[derive(Clone, Copy)]
struct ExitSite {
    /// The shared code generation it belongs to.
    gen: u64,
    /// The region's key.
    key: (u64, u64),
    /// The address of the switch's jump for [`exit::MISS`]; `None` for [`exit::FP`].
    at: Option<u64>,
    /// The region's `retranslations` when it was translated.
    version: u8,
}

/// [`exit::FP`] exits of a translation before its region is translated again with helper
/// calls instead.
const FP_EXIT_LIMIT: u32 = 128;

/// Targets outside its region a translation's switches report before it is translated
/// again, with them inside (see [`exit::MISS`]).
const MISS_LIMIT: u32 = 32;
/// Most translations again of one region for its switches' misses.
const MAX_RETRANSLATIONS: u8 = 2;

/// The JIT engine for machines with environment `X`: one per guest thread, sharing its
/// translated code with the other threads' engines ([`JitEngine::sharing`]).
pub struct JitEngine<X: Env> {
    cfg: JitConfig,
    isa: OwnedTargetIsa,
    cctx: Context,
    shared: Arc<SharedCode<X>>,
    /// The generation of `shared` this engine's caches (jump cache, block records) hold.
    gen: u64,
    /// [`code::fork_epoch`] when this engine last ran (a change means this is a fork child).
    fork_epoch: u64,
    /// [`TRANSLATIONS`] when the engine was made.
    translations_at_start: u64,
    ctx: Arc<JitCtx>,
    jc: Box<[JcEntry]>,
    /// (pc, code context) -> block record.
    map: HashMap<(u64, u64), u32>,
    blocks: Vec<BlockInfo<X>>,
    /// Direct-mapped (pc -> block record) for `context`.
    dcache: Box<[(u64, u32)]>,
    /// (virtual page number, code context) -> the block records whose decoded block has an
    /// instruction byte on that page (and maybe records decoded again since, elsewhere).
    page_blocks: HashMap<(u64, u64), Vec<u32>>,
    /// The environment's code context ([`Env::code_context`]) the jump cache and `dcache`
    /// hold entries for (both are emptied when it changes; the block map is keyed by it).
    context: u64,
    decoder: InterpEngine<X>,
    /// Interpreted blocks of `context` chained to one another, within their counts.
    chain: CountedChain<X>,
    table: Table<ClifEmitter>,
    probe_table: Table<Probe>,
    fast: Option<FastMem>,
    /// The environment's software TLB, when it has no `fast` memory.
    tlb: Option<SoftTlb>,
    fast_known: bool,
    /// Print each function's IR and machine code to stderr (`XLATE_JIT_DUMP` set; debugging).
    dump: bool,
    /// Told about each translated block ([`JitEngine::set_observer`]).
    observer: Option<std::sync::Arc<dyn BlockObserver>>,
    /// Lockstep verification state, when on ([`JitEngine::set_lockstep`]).
    lockstep: Option<Box<verify::Lockstep<X>>>,
    /// `XLATE_JIT_FAULT_INJECT`: the decode-table name of an instruction to translate wrongly
    /// (its destination register's lowest bit flipped), for testing `--verify`.
    inject: Option<String>,
    /// The background compiler, when `cfg.background` (started on first use).
    compiler: Option<Compiler>,
    /// Pages invalidated while the background compiler had jobs, with the count of partial
    /// invalidations then (`stats.invalidations`): a job lowered before that has its result
    /// dropped if it has code on one of these pages (emptied once no job is in flight).
    stale_inflight: Vec<(u64, (u64, u64))>,
    /// The chain slots that identify translations in exits the dispatcher counts.
    exit_sites: HashMap<u32, ExitSite>,
    /// Blocks (pc, code context) inside a region queued for the background compiler, each
    /// with the number of such regions: they are not translated on their own while the
    /// region compiles. A straight run of blocks gets hot all at once, and each would
    /// otherwise queue a region of its own, mostly the same code again (a Linux boot: the
    /// same SHA-3 code compiled in about 50 overlapping regions), delaying all the others.
    covered: HashMap<(u64, u64), u32>,
    /// The interpreter's jump history ([`Interp::jumps`]) as of the translation being made.
    jumps: [(u64, u64); JUMP_RECORDS],
    /// The interpreter's divisor history ([`Interp::divisors`]) as of the translation being
    /// made.
    divisors: [(u64, u64); JUMP_HISTORY],
    /// As of the translation being made, `fflags` has NX accrued and `frm` is RNE: the
    /// floating-point fast paths apply (to operands in range), so their misses can be exits
    /// ([`exit::FP`]); otherwise arithmetic would miss every time, and calls its helpers.
    fp_fast_now: bool,
    pub stats: JitStats,
}

/// A region lowered to IR, sent to the background compiler.
struct Job {
    key: (u64, u64),
    /// The shared code generation it was lowered for (its chain slots belong to it).
    gen: u64,
    func: Function,
    /// Its host-checked loads and stores (see [`compile`]).
    sites: Vec<clif::HostSite>,
    /// Guest instructions translated, and each one (address, bits, length) for observers.
    n: u64,
    insns: Vec<(u64, u32, u8)>,
    ir: Option<String>,
    /// The engine's count of partial invalidations when it was lowered (see
    /// [`JitEngine::stale_inflight`]).
    invalidations: u64,
    /// The region's other blocks (see [`JitEngine::covered`]).
    covers: Vec<(u64, u64)>,
}

/// A compiled [`Job`]: its host code bytes (or Cranelift's error) and the time it took.
struct Done {
    job: Job,
    code: Result<Compiled, String>,
    ns: u64,
}

/// A thread with its own Cranelift context compiling [`Job`]s in order. The engine installs
/// the results from its dispatch loop ([`JitEngine::install_compiled`]); results for an older
/// code generation are dropped.
struct Compiler {
    jobs: std::sync::mpsc::Sender<Job>,
    done: std::sync::mpsc::Receiver<Done>,
    /// Results sent and not yet received (checked before `done` is polled).
    ready: Arc<AtomicU64>,
    inflight: usize,
}

impl Compiler {
    fn start(isa: OwnedTargetIsa) -> Option<Self> {
        let (jobs, job_rx) = std::sync::mpsc::channel::<Job>();
        let (done_tx, done) = std::sync::mpsc::channel::<Done>();
        let ready = Arc::new(AtomicU64::new(0));
        let r = Arc::clone(&ready);
        std::thread::Builder::new()
            .name("xlate-compile".into())
            .spawn(move || {
                let mut cctx = Context::new();
                for mut job in job_rx {
                    let t0 = Instant::now();
                    let func = std::mem::replace(&mut job.func, Function::new());
                    let sites = std::mem::take(&mut job.sites);
                    let code = compile(&*isa, &mut cctx, func, sites, false);
                    let ns = t0.elapsed().as_nanos() as u64;
                    if done_tx.send(Done { job, code, ns }).is_err() {
                        break;
                    }
                    r.fetch_add(1, Ordering::Release);
                }
            })
            .ok()?;
        Some(Self {
            jobs,
            done,
            ready,
            inflight: 0,
        })
    }
}

fn width_of(code: u64) -> Width {
    match code & 0xff {
        1 => Width::B,
        2 => Width::H,
        4 => Width::W,
        _ => Width::D,
    }
}

fn amo_of(code: u64) -> AmoOp {
    match code {
        0 => AmoOp::Swap,
        1 => AmoOp::Add,
        2 => AmoOp::Xor,
        3 => AmoOp::And,
        4 => AmoOp::Or,
        5 => AmoOp::Min,
        6 => AmoOp::Max,
        7 => AmoOp::MinU,
        _ => AmoOp::MaxU,
    }
}

/// The machine behind a context.
///
/// # Safety
///
/// `ctx` must be the context of a [`JitEngine::enter`] call in progress: its `interp` then points
/// to the `Interp<X>` that call has exclusive access to, and translated code (which only holds a
/// raw pointer to its CPU state) is suspended inside this helper call.
unsafe fn machine<'a, X>(ctx: *mut JitCtx) -> &'a mut Interp<X> {
    // SAFETY: see the function's contract.
    unsafe { &mut *((*ctx).interp.load(Ordering::Relaxed) as *mut Interp<X>) }
}

fn raise<X: Env>(m: &mut Interp<X>, e: Exception) -> u64 {
    m.cpu.raise_from_helper(e.cause, e.tval);
    0
}

// The helpers below are called only by translated code, with the context of the current
// `enter` call (see `machine`). Their semantics are the interpreter's (`Emitter for Interp`),
// so both engines agree on every slow path.

extern "C" fn h_load<X: Env>(ctx: *mut JitCtx, addr: u64, flags: u64, _: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    match Emitter::load(m, addr, width_of(flags), flags >> 8 & 1 != 0) {
        Ok(v) => v,
        Err(e) => raise(m, e),
    }
}

extern "C" fn h_store<X: Env>(ctx: *mut JitCtx, addr: u64, val: u64, w: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    match Emitter::store(m, addr, val, width_of(w)) {
        Ok(()) => {
            poll_env(ctx, m);
            0
        }
        Err(e) => {
            raise(m, e);
            1
        }
    }
}

extern "C" fn h_lr<X: Env>(ctx: *mut JitCtx, addr: u64, w: u64, _: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    Emitter::load_reserved(m, addr, width_of(w)).unwrap_or_else(|e| raise(m, e))
}

extern "C" fn h_sc<X: Env>(ctx: *mut JitCtx, addr: u64, val: u64, w: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    let r = Emitter::store_conditional(m, addr, val, width_of(w)).unwrap_or_else(|e| raise(m, e));
    poll_env(ctx, m);
    r
}

extern "C" fn h_amo<X: Env>(ctx: *mut JitCtx, addr: u64, val: u64, code: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    let r = Emitter::amo(m, amo_of(code >> 8), addr, val, width_of(code))
        .unwrap_or_else(|e| raise(m, e));
    poll_env(ctx, m);
    r
}

extern "C" fn h_csr<X: Env>(ctx: *mut JitCtx, code: u64, src: u64, _: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    let op = match code >> 12 & 3 {
        0 => CsrOp::Write,
        1 => CsrOp::Set,
        _ => CsrOp::Clear,
    };
    let (read, write) = (code >> 14 & 1 != 0, code >> 15 & 1 != 0);
    let r = Emitter::csr(m, (code & 0xfff) as u16, op, src, read, write)
        .unwrap_or_else(|e| raise(m, e));
    poll_env(ctx, m);
    r
}

/// After a helper that ran environment code with possible side effects (stores, CSR writes):
/// a code-flush or exit request (an interrupt made pending, the machine halted) makes the
/// chained exits return to the dispatcher, which flushes, or returns from `run`, at the end of
/// the block, as the interpreter's poll before each block does. The requests are taken from
/// the environment here, so the dispatcher acts on them from [`JitCtx::requests`].
fn poll_env<X: Env>(ctx: *mut JitCtx, m: &mut Interp<X>) {
    let mut req = 0;
    let mut pages = Vec::new();
    if m.env.take_code_invalidation(&mut pages) {
        req |= if pages.is_empty() {
            REQ_FLUSH
        } else {
            REQ_PAGES
        };
    }
    if m.env.exit_requested() {
        req |= REQ_EXIT;
    }
    if req != 0 {
        // SAFETY: `ctx` is the live context of the `enter` call (see `machine`), a separate
        // object from the `Interp` borrowed as `m`; only shared access (atomics, the `stale`
        // mutex) is used.
        let c = unsafe { &*ctx };
        if !pages.is_empty() {
            lock(&c.stale).append(&mut pages);
        }
        m.cpu.stop_at.set(0);
        c.requests.fetch_or(req, Ordering::Relaxed);
    }
}

extern "C" fn h_system<X: Env>(ctx: *mut JitCtx, code: u64, a: u64, b: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    let op = match code {
        0 => SystemOp::Mret,
        1 => SystemOp::Sret,
        2 => SystemOp::Wfi,
        _ => SystemOp::SfenceVma,
    };
    // Translated code set `cpu.pc` to the next instruction and `instret` exact.
    let r = m.env.system(&mut m.cpu, op, a, b);
    if let Err(e) = r {
        raise(m, e);
    }
    // The block returns to the dispatcher anyway; it polls the flush and exit requests.
    0
}

extern "C" fn h_fp_enabled<X: Env>(ctx: *mut JitCtx, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    if let Err(e) = Emitter::fp_enabled(m) {
        raise(m, e);
    }
    0
}

extern "C" fn h_fence_i<X: Env>(ctx: *mut JitCtx, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: called from translated code during `enter` (see `machine`).
    let m = unsafe { machine::<X>(ctx) };
    Emitter::fence(m, FenceKind::Instruction);
    0
}

type HelperFn = extern "C" fn(*mut JitCtx, u64, u64, u64) -> u64;

/// Signature of the entry trampoline as Rust calls it.
type Trampoline = unsafe extern "C" fn(*mut CpuState, *mut JitCtx, usize) -> u64;

fn internal(e: impl std::fmt::Display) -> JitError {
    JitError::Internal(e.to_string())
}

/// The Cranelift target for `cfg`.
fn make_isa(cfg: &JitConfig) -> Result<OwnedTargetIsa, JitError> {
    let mut fb = settings::builder();
    // `XLATE_JIT_OPT=none|speed` overrides the configuration (for measurements).
    let opt = match (std::env::var("XLATE_JIT_OPT").as_deref(), cfg.opt_level) {
        (Ok("speed"), _) => "speed",
        (Ok("none"), _) => "none",
        (_, OptLevel::None) => "none",
        (_, OptLevel::Speed) => "speed",
    };
    // `XLATE_JIT_REGALLOC=single_pass|backtracking` overrides the configuration (for
    // measurements).
    let ra = match (std::env::var("XLATE_JIT_REGALLOC").as_deref(), cfg.regalloc) {
        (Ok("single_pass"), _) => "single_pass",
        (Ok("backtracking"), _) => "backtracking",
        (_, RegAlloc::Backtracking) => "backtracking",
        (_, RegAlloc::SinglePass) => "single_pass",
    };
    for (k, v) in [
        ("opt_level", opt),
        ("regalloc_algorithm", ra),
        ("enable_verifier", if cfg.verify { "true" } else { "false" }),
        ("preserve_frame_pointers", "true"),
        ("unwind_info", "false"),
        ("is_pic", "false"),
        // Block offsets, to find the landing pads of host-checked accesses.
        ("machine_code_cfg_info", "true"),
    ] {
        fb.set(k, v).map_err(internal)?;
    }
    cranelift_native::builder()
        .map_err(|e| JitError::Host(e.to_string()))?
        .finish(settings::Flags::new(fb))
        .map_err(|e| JitError::Host(e.to_string()))
}

/// `XLATE_JIT_TABLE_LOADS` (set, any value) keeps the permission-table check on every load
/// even where the host MMU could check it (for measurements and comparisons).
fn table_loads() -> bool {
    static SET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SET.get_or_init(|| std::env::var_os("XLATE_JIT_TABLE_LOADS").is_some())
}

/// `XLATE_JIT_TABLE_STORES`: the same for stores.
fn table_stores() -> bool {
    static SET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SET.get_or_init(|| std::env::var_os("XLATE_JIT_TABLE_STORES").is_some())
}

/// Host code for one function: position-independent bytes without relocations, and the
/// offsets of its host-checked loads and stores, each with its landing pad (see [`fault`]),
/// with the offsets their gaps start at.
struct Compiled {
    bytes: Vec<u8>,
    sites: Vec<(u32, u32)>,
}

/// Rounds of compilation that may give host-checked accesses without a landing pad the table
/// check back before all of the function's host-checked accesses get it.
const SITE_ROUNDS: usize = 3;

/// Compiles `func` to host code. Each of `sites` (the host-checked loads and stores of `func`)
/// must come out right after the branch that is its landing pad ([`fault::landing_pad`]);
/// those that do not get the permission-table check back ([`clif::HostSite::table_check`])
/// and the function is compiled again (the register allocator may then move others: a few
/// rounds, then every access left is table-checked). An access the optimiser removed (a load
/// an earlier one of the same address serves) needs nothing.
fn compile(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    cctx: &mut Context,
    func: Function,
    sites: Vec<clif::HostSite>,
    dump: bool,
) -> Result<Compiled, String> {
    let mut func = func;
    let mut pending = sites;
    for round in 0..=SITE_ROUNDS + 1 {
        let pristine = (!pending.is_empty()).then(|| func.clone());
        cctx.clear();
        cctx.func = func;
        if dump {
            eprintln!("{}", cctx.func.display());
            cctx.set_disasm(true);
        }
        let compiled = cctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| format!("{:?}", e.inner))?;
        if !compiled.buffer.relocs().is_empty() {
            return Err("translated code needs relocations".into());
        }
        if dump {
            eprintln!("{}", compiled.vcode.as_deref().unwrap_or(""));
        }
        let bytes = compiled.code_buffer();
        let Some(mut f) = pristine else {
            return Ok(Compiled {
                bytes: bytes.to_vec(),
                sites: Vec::new(),
            });
        };
        let mut found = Vec::with_capacity(pending.len());
        let mut lost = Vec::new();
        for s in &pending {
            let code = cranelift_codegen::ir::TrapCode::user(s.code);
            let mut at = compiled
                .buffer
                .traps()
                .iter()
                .filter(|t| Some(t.code) == code)
                .map(|t| t.offset);
            let pad = match (at.next(), at.next()) {
                // Optimised away (an earlier load of the same address serves it): nothing
                // can fault there.
                (None, _) => continue,
                (Some(o), None) if round < SITE_ROUNDS => {
                    fault::landing_pad(bytes, o, &compiled.bb_starts).map(|(b, _)| (o, b))
                }
                _ => None,
            };
            match pad {
                Some(o) => found.push(o),
                None => lost.push(*s),
            }
        }
        if lost.is_empty() {
            return Ok(Compiled {
                bytes: bytes.to_vec(),
                sites: found,
            });
        }
        for s in &lost {
            s.table_check(&mut f);
        }
        pending.retain(|s| lost.iter().all(|l| l.code != s.code));
        func = f;
    }
    Err("host-checked loads without landing pads".into())
}

/// Compiles the entry trampoline and the jump-cache miss stub into `code` (then pinned).
fn build_stubs(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    cctx: &mut Context,
    code: &mut CodeMem,
    dump: bool,
) -> Result<(usize, usize), JitError> {
    let host_cc = isa.default_call_conv();
    // Trampoline: host fn(cpu, ctx, code) -> u64 { code(cpu, ctx) }
    let mut sig = cranelift_codegen::ir::Signature::new(host_cc);
    for _ in 0..3 {
        sig.params.push(cranelift_codegen::ir::AbiParam::new(I64));
    }
    sig.returns.push(cranelift_codegen::ir::AbiParam::new(I64));
    let mut f = Function::with_name_signature(UserFuncName::default(), sig);
    let bsig = f.import_signature(clif::block_signature());
    let b = f.dfg.make_block();
    f.layout.append_block(b);
    let cpu = f.dfg.append_block_param(b, I64);
    let ctx = f.dfg.append_block_param(b, I64);
    let target = f.dfg.append_block_param(b, I64);
    {
        let mut c = FuncCursor::new(&mut f).at_bottom(b);
        let call = c.ins().call_indirect(bsig, target, &[cpu, ctx]);
        let r = c.func.dfg.inst_results(call)[0];
        c.ins().return_(&[r]);
    }
    let install = |code: &mut CodeMem, bytes: Vec<u8>| {
        code.install(&bytes)
            .map(|p| p as usize)
            .ok_or_else(|| internal("the code cache cannot hold the entry stubs"))
    };
    let bytes = compile(isa, cctx, f, Vec::new(), dump)
        .map_err(internal)?
        .bytes;
    let trampoline = install(code, bytes)?;
    // Miss stub: a block function that reports a jump-cache miss.
    let mut f = Function::with_name_signature(UserFuncName::default(), clif::block_signature());
    let b = f.dfg.make_block();
    f.layout.append_block(b);
    f.dfg.append_block_param(b, I64);
    f.dfg.append_block_param(b, I64);
    {
        let mut c = FuncCursor::new(&mut f).at_bottom(b);
        let r = c.ins().iconst(I64, exit::LOOKUP as i64);
        c.ins().return_(&[r]);
    }
    let bytes = compile(isa, cctx, f, Vec::new(), dump)
        .map_err(internal)?
        .bytes;
    let lookup_stub = install(code, bytes)?;
    code.pin();
    Ok((trampoline, lookup_stub))
}

impl<X: Env> SharedCode<X> {
    /// Code memory of `cfg.code_cache_size` bytes with its entry stubs, and no translation.
    fn create(
        cfg: &JitConfig,
        isa: &dyn cranelift_codegen::isa::TargetIsa,
        cctx: &mut Context,
        dump: bool,
    ) -> Result<Arc<Self>, JitError> {
        let mut code = CodeMem::new(cfg.code_cache_size).map_err(|err| JitError::CodeMemory {
            size: cfg.code_cache_size,
            err,
        })?;
        let (trampoline, lookup_stub) = build_stubs(isa, cctx, &mut code, dump)?;
        let host_sites = code.has_sites();
        let nslots = (cfg.code_cache_size / 64).clamp(1024, 1 << 22);
        Ok(Arc::new(Self {
            inner: Mutex::new(CodeInner {
                code,
                map: HashMap::default(),
                pages: HashMap::default(),
                next_slot: 0,
                pending: Default::default(),
            }),
            gen: AtomicU64::new(0),
            resetting: AtomicBool::new(false),
            slots: (0..nslots).map(|_| AtomicU64::new(0)).collect(),
            threads: Mutex::new(Vec::new()),
            trampoline,
            lookup_stub,
            host_sites,
            _env: PhantomData,
        }))
    }
}

impl<X: Env> JitEngine<X> {
    /// Creates an engine with its own code cache of `cfg.code_cache_size` bytes.
    pub fn new(cfg: JitConfig) -> Result<Self, JitError> {
        let isa = make_isa(&cfg)?;
        let mut cctx = Context::new();
        let dump = std::env::var_os("XLATE_JIT_DUMP").is_some();
        let shared = SharedCode::create(&cfg, &*isa, &mut cctx, dump)?;
        Ok(Self::with_shared(cfg, isa, cctx, shared))
    }

    /// Creates an engine (for another guest thread) that shares `shared`'s translated code
    /// (`cfg.code_cache_size` is then that of `shared`'s creator).
    pub fn sharing(cfg: JitConfig, shared: Arc<SharedCode<X>>) -> Result<Self, JitError> {
        let isa = make_isa(&cfg)?;
        Ok(Self::with_shared(cfg, isa, Context::new(), shared))
    }

    fn with_shared(
        cfg: JitConfig,
        isa: OwnedTargetIsa,
        cctx: Context,
        shared: Arc<SharedCode<X>>,
    ) -> Self {
        let jc: Box<[JcEntry]> = (0..JC_SIZE)
            .map(|_| JcEntry {
                pc: AtomicU64::new(JC_EMPTY),
                code: AtomicU64::new(shared.lookup_stub as u64),
            })
            .collect();
        let ctx = Arc::new(JitCtx {
            interp: AtomicPtr::new(std::ptr::null_mut()),
            cpu_stop: AtomicPtr::new(std::ptr::null_mut()),
            writers: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            jc: jc.as_ptr() as u64,
            in_jit: AtomicBool::new(false),
            stale: Mutex::new(Vec::new()),
        });
        lock(&shared.threads).push(Arc::clone(&ctx));
        Self {
            isa,
            cctx,
            gen: shared.gen.load(Ordering::SeqCst),
            fork_epoch: code::fork_epoch(),
            translations_at_start: TRANSLATIONS.load(Ordering::Relaxed),
            shared,
            ctx,
            jc,
            map: HashMap::default(),
            blocks: Vec::new(),
            dcache: vec![(u64::MAX, 0); DC_SIZE].into_boxed_slice(),
            page_blocks: HashMap::default(),
            context: 0,
            decoder: InterpEngine::new(),
            chain: CountedChain::new(),
            table: crate::riscv::table(),
            probe_table: crate::riscv::table(),
            fast: None,
            tlb: None,
            fast_known: false,
            dump: std::env::var_os("XLATE_JIT_DUMP").is_some(),
            observer: None,
            lockstep: None,
            inject: std::env::var("XLATE_JIT_FAULT_INJECT")
                .ok()
                .filter(|v| !v.is_empty()),
            compiler: None,
            stale_inflight: Vec::new(),
            exit_sites: HashMap::default(),
            covered: HashMap::default(),
            jumps: [(u64::MAX, 0); JUMP_RECORDS],
            divisors: [(u64::MAX, 0); JUMP_HISTORY],
            fp_fast_now: false,
            stats: JitStats::default(),
            cfg,
        }
    }

    /// The translated code, to give to the engines of new threads ([`JitEngine::sharing`]).
    pub fn shared_code(&self) -> Arc<SharedCode<X>> {
        Arc::clone(&self.shared)
    }

    /// Whether `code` is this engine's translated code (it changes when the engine leaves
    /// shared code, see [`JitEngine::flush`]).
    pub fn uses(&self, code: &Arc<SharedCode<X>>) -> bool {
        Arc::ptr_eq(&self.shared, code)
    }

    /// Tells `o` about every block translated from now on.
    pub fn set_observer(&mut self, o: std::sync::Arc<dyn BlockObserver>) {
        self.observer = Some(o);
    }

    /// The configuration the engine was made with.
    pub fn config(&self) -> &JitConfig {
        &self.cfg
    }

    fn lowering(&self) -> Lowering {
        Lowering {
            host_cc: self.isa.default_call_conv(),
            fast: self.fast,
            tlb: self.tlb,
            slow_exit: true,
            host_loads: self.shared.host_sites
                && self.fast.is_some_and(|f| f.host_loads())
                && !table_loads(),
            host_stores: self.shared.host_sites
                && self.fast.is_some_and(|f| f.host_stores())
                && !table_stores(),
            helpers: HelperAddrs {
                load: h_load::<X> as HelperFn as usize,
                store: h_store::<X> as HelperFn as usize,
                lr: h_lr::<X> as HelperFn as usize,
                sc: h_sc::<X> as HelperFn as usize,
                amo: h_amo::<X> as HelperFn as usize,
                csr: h_csr::<X> as HelperFn as usize,
                fence_i: h_fence_i::<X> as HelperFn as usize,
                system: h_system::<X> as HelperFn as usize,
                fp_enabled: if X::CHECKS_FP {
                    h_fp_enabled::<X> as HelperFn as usize
                } else {
                    0
                },
            },
            slots: self.shared.slots.as_ptr() as usize,
            jc_mask: (JC_SIZE - 1) as u64,
        }
    }

    /// Drops every translation and decoded block this engine could run (guest code changed).
    ///
    /// Alone with its code, the engine empties it. Sharing it with other threads, it leaves
    /// them the shared code and goes on with a code cache of its own
    /// ([`JitEngine::shared_code`] changes): a flush is asked for by this thread's `fence.i`
    /// (which orders this hart's fetches only) or by a change of code every thread is told
    /// about (each of them flushes then), so no other thread has to translate again because
    /// one thread rewrites its own code.
    pub fn flush(&mut self) {
        let alone = lock(&self.shared.threads)
            .iter()
            .all(|t| Arc::ptr_eq(t, &self.ctx));
        if alone || !self.detach() {
            self.shared.invalidate(&self.ctx);
        }
        self.catch_up();
    }

    /// Acts on an invalidation taken from the environment: drops the cached code of the
    /// `stale` pages (virtual page number, code context), or all of it when `stale` is empty
    /// ([`Env::take_code_invalidation`]); empties `stale`.
    fn invalidate(&mut self, stale: &mut Vec<(u64, u64)>) {
        if stale.is_empty() {
            self.flush();
        } else {
            self.invalidate_pages(stale);
            stale.clear();
        }
    }

    /// Drops every translation and decoded block with an instruction byte on one of the
    /// `stale` pages (virtual page number, code context) and keeps the rest. Chain links and
    /// the jump cache are emptied (links are made again as the kept code runs); a dropped
    /// translation's host code stays in the code memory, unreachable, until the next reset.
    /// With other threads sharing the code (or under lockstep verification), everything goes
    /// as with [`JitEngine::flush`].
    fn invalidate_pages(&mut self, stale: &[(u64, u64)]) {
        let alone = lock(&self.shared.threads)
            .iter()
            .all(|t| Arc::ptr_eq(t, &self.ctx));
        if !alone || self.lockstep.is_some() {
            self.flush();
            return;
        }
        let mut dropped = Vec::new();
        {
            let mut g = lock(&self.shared.inner);
            let CodeInner { map, pages, .. } = &mut *g;
            map.retain(|key, _| {
                let gone = pages
                    .get(key)
                    .is_some_and(|p| p.iter().any(|&p| stale.contains(&(p, key.1))));
                if gone {
                    pages.remove(key);
                    dropped.push(*key);
                }
                !gone
            });
            // Kept code may be linked to dropped code: unlink everything.
            let used = (g.next_slot as usize).min(self.shared.slots.len());
            for s in self.shared.slots[..used].iter() {
                s.store(0, Ordering::Relaxed);
            }
        }
        for e in self.jc.iter() {
            e.pc.store(JC_EMPTY, Ordering::Relaxed);
            e.code
                .store(self.shared.lookup_stub as u64, Ordering::Relaxed);
        }
        for key in &dropped {
            if let Some(&i) = self.map.get(key) {
                self.blocks[i as usize].code = 0;
            }
        }
        self.unchain_all();
        for page in stale {
            for i in self.page_blocks.remove(page).unwrap_or_default() {
                self.blocks[i as usize].interp = None;
            }
        }
        self.stats.invalidations += 1;
        if self.compiler.as_ref().is_some_and(|c| c.inflight > 0) {
            let n = self.stats.invalidations;
            self.stale_inflight.extend(stale.iter().map(|&p| (n, p)));
        }
    }

    /// Moves this engine to a new code cache of its own; false if none can be made.
    fn detach(&mut self) -> bool {
        let cfg = JitConfig {
            code_cache_size: self.cfg.code_cache_size.min(DETACHED_CODE_CACHE),
            ..self.cfg.clone()
        };
        let dump = self.dump;
        let Ok(sh) = SharedCode::create(&cfg, &*self.isa, &mut self.cctx, dump) else {
            return false;
        };
        lock(&self.shared.threads).retain(|c| !Arc::ptr_eq(c, &self.ctx));
        lock(&sh.threads).push(Arc::clone(&self.ctx));
        self.shared = sh;
        true
    }

    /// Drops this engine's caches (jump cache, block records with their decoded blocks),
    /// which belong to an older generation of the shared code.
    fn catch_up(&mut self) {
        self.gen = self.shared.gen.load(Ordering::SeqCst);
        // Jobs in flight belong to the old generation (their results are dropped).
        self.stale_inflight.clear();
        for e in self.jc.iter() {
            e.pc.store(JC_EMPTY, Ordering::Relaxed);
            e.code
                .store(self.shared.lookup_stub as u64, Ordering::Relaxed);
        }
        self.unchain_all();
        self.map.clear();
        self.blocks.clear();
        self.page_blocks.clear();
        self.dcache.iter_mut().for_each(|e| *e = (u64::MAX, 0));
        if let Some(l) = &mut self.lockstep {
            l.clear();
        }
        self.stats.flushes += 1;
    }

    /// In the child of a `fork()` (only this thread went on): this engine is the only user of
    /// the shared code now. The fork was made under [`SharedCode::fork_guard`] (or with no
    /// other thread), so its locks are free; if they are not, the code is left behind and
    /// this engine starts a cache of its own.
    fn after_fork(&mut self) {
        self.fork_epoch = code::fork_epoch();
        let ok = match (self.shared.inner.try_lock(), self.shared.threads.try_lock()) {
            (Ok(_), Ok(mut t)) => {
                t.retain(|c| Arc::ptr_eq(c, &self.ctx));
                true
            }
            _ => false,
        };
        if !ok {
            let dump = self.dump;
            if let Ok(sh) = SharedCode::create(&self.cfg, &*self.isa, &mut self.cctx, dump) {
                lock(&sh.threads).push(Arc::clone(&self.ctx));
                self.shared = sh;
            }
            self.catch_up();
        }
    }

    /// Empties the jump cache and `dcache`, which hold blocks of another code context.
    fn switch_context(&mut self, cx: u64) {
        for e in self.jc.iter() {
            e.pc.store(JC_EMPTY, Ordering::Relaxed);
            e.code
                .store(self.shared.lookup_stub as u64, Ordering::Relaxed);
        }
        self.dcache.iter_mut().for_each(|e| *e = (u64::MAX, 0));
        self.unchain_all();
        self.context = cx;
    }

    /// Adds to a block's count the runs it had by chaining ([`CountedChain`]).
    fn count_chained(&mut self, c: Chained) {
        if let Some(b) = self.blocks.get_mut(c.record as usize) {
            b.count = b.count.saturating_add(c.runs);
        }
    }

    /// Takes the block at `pc` (of `context`) out of the chaining cache, counting its runs.
    fn unchain(&mut self, pc: u64) {
        if let Some(c) = self.chain.take(pc) {
            self.count_chained(c);
        }
    }

    /// Empties the chaining cache (before decoded blocks are dropped or the context changes).
    fn unchain_all(&mut self) {
        let mut counted = Vec::new();
        self.chain.clear(|c| counted.push(c));
        for c in counted {
            self.count_chained(c);
        }
    }

    fn jc_index(pc: u64) -> usize {
        ((pc >> 1) as usize) & (JC_SIZE - 1)
    }

    /// Host code for `pc` from the jump cache, 0 if absent.
    fn jc_lookup(&self, pc: u64) -> usize {
        let e = &self.jc[Self::jc_index(pc)];
        if e.pc.load(Ordering::Relaxed) == pc {
            let c = e.code.load(Ordering::Relaxed) as usize;
            if c != self.shared.lookup_stub {
                return c;
            }
        }
        0
    }

    fn jc_fill(&self, pc: u64, code: usize) {
        let e = &self.jc[Self::jc_index(pc)];
        // Code first, then the tag: a reader that sees the tag sees this code (single writer).
        e.code.store(code as u64, Ordering::Relaxed);
        e.pc.store(pc, Ordering::Release);
    }

    /// Index of the block record for `pc`, creating it.
    fn block_index(&mut self, pc: u64) -> usize {
        let d = ((pc >> 1) as usize) & (DC_SIZE - 1);
        if self.dcache[d].0 == pc {
            return self.dcache[d].1 as usize;
        }
        let key = (pc, self.context);
        let i = match self.map.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.blocks.len() as u32;
                self.blocks.push(BlockInfo {
                    interp: None,
                    count: 0,
                    code: 0,
                    no_jit: false,
                    misses: 0,
                    fp_exits: 0,
                    fp_calls: false,
                    retranslations: 0,
                });
                self.map.insert(key, i);
                i
            }
        };
        self.dcache[d] = (pc, i);
        i as usize
    }

    /// Host code for `pc` if this engine knows it translated (dispatcher view), 0 otherwise.
    fn code_for(&self, pc: u64) -> usize {
        match self.map.get(&(pc, self.context)) {
            Some(&i) => self.blocks[i as usize].code,
            None => 0,
        }
    }

    /// Links chain slot `slot` (of code this engine just ran) to `target`, unless the code
    /// was reset since (the slot may belong to another translation then).
    fn link(&mut self, slot: usize, target: usize) {
        if self.set_slot(slot, target as u64) {
            self.stats.chained_exits += 1;
        }
    }

    /// Stores `value` in chain slot `slot` (of code this engine just ran) unless the code
    /// was reset since; true if it did.
    fn set_slot(&self, slot: usize, value: u64) -> bool {
        let _g = lock(&self.shared.inner);
        let ok =
            self.shared.gen.load(Ordering::SeqCst) == self.gen && slot < self.shared.slots.len();
        if ok {
            self.shared.slots[slot].store(value, Ordering::Release);
        }
        ok
    }

    /// A switch of a translated region went to `cpu.pc`, where the region does not branch,
    /// and reported it through chain slot `slot` ([`exit::MISS`]); the dispatcher goes on
    /// there. Records the target as the interpreter records jumps. After [`MISS_LIMIT`]
    /// reports from the current translation of a region, translates again every region with
    /// a copy of that switch that would then have this target inside (at most
    /// [`MAX_RETRANSLATIONS`] times each). A switch whose region is not translated again
    /// stops reporting: it only looks its targets up in the jump cache from then on.
    /// Old translations stay correct for whoever runs them: their reports are not counted,
    /// and each one returns to the dispatcher, which finds the new code at the next region
    /// entry (a region's own loop never leaves it otherwise).
    fn switch_missed(&mut self, interp: &mut Interp<X>, slot: u32) {
        let Some(ExitSite {
            key,
            at: Some(at),
            version,
            ..
        }) = self.exit_site(slot)
        else {
            return;
        };
        self.stats.switch_misses += 1;
        let target = interp.cpu.pc;
        interp.jumps[target_slot(at, target)] = (at, target);
        let i = self.block_index(key.0);
        let b = &mut self.blocks[i];
        if b.retranslations != version {
            return;
        }
        b.misses += 1;
        if b.misses < MISS_LIMIT {
            return;
        }
        b.misses = 0;
        if b.retranslations >= MAX_RETRANSLATIONS {
            self.set_slot(slot as usize, 1);
            return;
        }
        self.take_profile(interp);
        // Every current translation with this switch, which would have the target inside if
        // translated again (a region already as large as allowed may have no room for it).
        let copies: Vec<(u64, u8)> = self
            .exit_sites
            .values()
            .filter(|s| s.gen == self.gen && s.key.1 == self.context && s.at == Some(at))
            .map(|s| (s.key.0, s.version))
            .collect();
        let mut keys: Vec<u64> = Vec::new();
        for (pc, v) in copies {
            let i = self.block_index(pc);
            let b = &self.blocks[i];
            if b.retranslations == v
                && b.retranslations < MAX_RETRANSLATIONS
                && b.code != 0
                && !b.no_jit
                && !keys.contains(&pc)
                && self
                    .decode_region(&mut interp.env, pc)
                    .iter()
                    .any(|(start, _)| *start == target)
            {
                keys.push(pc);
            }
        }
        if !keys.contains(&key.0) {
            self.set_slot(slot as usize, 1);
        }
        for pc in keys {
            self.retranslate(interp, pc, false);
        }
    }

    /// Translates the region at `pc` again, replacing its current translation; with
    /// `fp_calls`, its floating-point operations call their helpers from then on. The
    /// record's `retranslations` counts it, so exits of the old code are no longer counted;
    /// if nothing was translated or queued (the region is being compiled as part of another
    /// one, the code was reset meanwhile), the record is left as it was but for its counts
    /// of exits, which start again.
    fn retranslate(&mut self, interp: &mut Interp<X>, pc: u64, fp_calls: bool) {
        let i = self.block_index(pc);
        let b = &mut self.blocks[i];
        let before = (b.retranslations, b.fp_calls);
        b.fp_calls |= fp_calls;
        b.retranslations = b.retranslations.saturating_add(1);
        b.misses = 0;
        b.fp_exits = 0;
        let code = self.translate(&mut interp.env, pc, true);
        let i = self.block_index(pc);
        if code != 0 {
            self.blocks[i].code = code;
        } else if !lock(&self.shared.inner)
            .pending
            .contains(&(pc, self.context))
        {
            (self.blocks[i].retranslations, self.blocks[i].fp_calls) = before;
            return;
        }
        self.stats.retranslations += 1;
    }

    /// Takes what the interpreter learnt (jump targets, divisors) and the state of the FP
    /// unit, for the next translation.
    fn take_profile(&mut self, interp: &Interp<X>) {
        self.jumps.copy_from_slice(&interp.jumps[..]);
        self.divisors.copy_from_slice(&interp.divisors[..]);
        self.fp_fast_now =
            interp.cpu.fflags & u64::from(crate::fpu::NX) != 0 && interp.cpu.frm == 0;
    }

    /// The counted exit that reports chain slot `slot`, if it belongs to the current code
    /// (generation) and code context.
    fn exit_site(&self, slot: u32) -> Option<ExitSite> {
        let s = *self.exit_sites.get(&slot)?;
        (s.gen == self.gen && s.key.1 == self.context).then_some(s)
    }

    /// A floating-point operation of a translated region left it through [`exit::FP`], with
    /// chain slot `slot`: after [`FP_EXIT_LIMIT`] such exits from its current translation,
    /// translates the region again with helper calls instead. (Old translations stay
    /// correct for whoever runs them; their exits are not counted.)
    fn fp_exited(&mut self, interp: &mut Interp<X>, slot: u32) {
        let Some(ExitSite {
            key,
            at: None,
            version,
            ..
        }) = self.exit_site(slot)
        else {
            return;
        };
        let i = self.block_index(key.0);
        let b = &mut self.blocks[i];
        if b.retranslations != version || b.fp_calls || b.code == 0 || b.no_jit {
            return;
        }
        b.fp_exits += 1;
        if b.fp_exits < FP_EXIT_LIMIT {
            return;
        }
        self.take_profile(interp);
        self.retranslate(interp, key.0, true);
    }

    /// Clears `in_jit` after translated code returned (or was not entered), then waits for
    /// other threads still lowering `stop_at` through `cpu_stop` (see [`JitCtx::request_stop`]).
    fn leave_jit(&self) {
        self.ctx.in_jit.store(false, Ordering::SeqCst);
        while self.ctx.writers.load(Ordering::SeqCst) != 0 {
            std::hint::spin_loop();
        }
    }

    /// Runs translated code at `code` until it returns an exit code.
    fn enter(&mut self, interp: &mut Interp<X>, code: usize) -> u64 {
        self.stats.jit_entries += 1;
        let t0 = self.cfg.time_split.then(std::time::Instant::now);
        let ip: *mut Interp<X> = interp;
        self.ctx.interp.store(ip.cast(), Ordering::Relaxed);
        // Helpers see `instret` exact at their instruction already (no block-relative index).
        interp.idx = 0;
        let ctx: *mut JitCtx = Arc::as_ptr(&self.ctx).cast_mut();
        // SAFETY: `trampoline` is the address of the host-convention function compiled in
        // `build_stubs`, with exactly the `Trampoline` signature, in the pinned part of the
        // code cache (never reset while the shared code lives, which `self.shared` keeps).
        let f: Trampoline =
            unsafe { std::mem::transmute::<usize, Trampoline>(self.shared.trampoline) };
        // SAFETY: `code` is a live translated block of generation `self.gen` (taken from the
        // block records or jump cache, which `catch_up` empties when the generation changes;
        // `run` checked the generation after announcing `in_jit`, and the memory is only reset
        // while no engine is in translated code). The code only accesses the CPU state through
        // `cpu` (a field of `*ip`, which we hold exclusively), guest memory through the
        // `FastMem` contract, this engine's context and jump cache and the shared tables,
        // which outlive the call, and the `Interp` through helpers given `ctx`. Translated
        // code only reads the context (helpers use its atomics).
        let r = unsafe { f(std::ptr::addr_of_mut!((*ip).cpu), ctx, code) };
        self.ctx
            .interp
            .store(std::ptr::null_mut(), Ordering::Relaxed);
        if let Some(t0) = t0 {
            self.stats.jit_ns += t0.elapsed().as_nanos() as u64;
        }
        r
    }

    /// Translates the block at `pc` (or finds another thread's translation of it); returns its
    /// host code, or 0 when it cannot be translated now (fetch fault at its start, the shared
    /// code changed or was full meanwhile) or ever (marked `no_jit`).
    fn translate(&mut self, env: &mut X, pc: u64, again: bool) -> usize {
        let key = (pc, self.context);
        if self.covered.contains_key(&key) {
            return 0;
        }
        let base = {
            let mut g = lock(&self.shared.inner);
            if self.shared.gen.load(Ordering::SeqCst) != self.gen {
                return 0;
            }
            if let Some(&code) = g.map.get(&key) {
                if !again {
                    return code;
                }
            }
            if g.pending.contains(&key) {
                // Another thread is translating it.
                return 0;
            }
            if g.next_slot as usize + SLOTS_PER_TRANSLATION as usize > self.shared.slots.len() {
                drop(g);
                self.shared.reset_all(&self.ctx);
                return 0;
            }
            g.next_slot += SLOTS_PER_TRANSLATION;
            g.pending.insert(key);
            g.next_slot - SLOTS_PER_TRANSLATION
        };
        let Some(code) = self.translate_reserved(env, pc, base) else {
            // Queued for the background compiler: stays pending until installed.
            return 0;
        };
        let mut g = lock(&self.shared.inner);
        if self.shared.gen.load(Ordering::SeqCst) == self.gen {
            g.pending.remove(&key);
        }
        code
    }

    /// Installs what the background compiler finished (see [`Compiler`]).
    fn install_compiled(&mut self) {
        let Some(c) = &mut self.compiler else { return };
        if c.ready.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut done = Vec::new();
        while let Ok(d) = c.done.try_recv() {
            c.ready.fetch_sub(1, Ordering::AcqRel);
            c.inflight -= 1;
            done.push(d);
        }
        let inflight = c.inflight;
        for d in done {
            self.stats.compile_ns += d.ns;
            for k in &d.job.covers {
                if let Some(n) = self.covered.get_mut(k) {
                    *n -= 1;
                    if *n == 0 {
                        self.covered.remove(k);
                    }
                }
            }
            let key = d.job.key;
            if d.job.gen != self.gen {
                continue;
            }
            let stale = &self.stale_inflight;
            let lowered = d.job.invalidations;
            if stale.iter().any(|&(n, _)| n > lowered)
                && d.job
                    .insns
                    .iter()
                    .flat_map(|&(a, _, len)| insn_pages(a, len))
                    .any(|p| stale.iter().any(|&(n, q)| n > lowered && q == (p, key.1)))
            {
                // Decoded before its code changed: dropped (translated again when hot).
                lock(&self.shared.inner).pending.remove(&key);
                continue;
            }
            let code = match d.code {
                Ok(c) => self.install_code(key, &c, d.job.n, &d.job.insns, d.job.ir),
                Err(_) => {
                    self.stats.compile_failures += 1;
                    if let Some(&i) = self.map.get(&key) {
                        self.blocks[i as usize].no_jit = true;
                    }
                    0
                }
            };
            let mut g = lock(&self.shared.inner);
            if self.shared.gen.load(Ordering::SeqCst) == self.gen {
                g.pending.remove(&key);
            }
            drop(g);
            if code != 0 {
                if let Some(&i) = self.map.get(&key) {
                    self.blocks[i as usize].code = code;
                }
                if key.1 == self.context {
                    self.unchain(key.0);
                }
            }
        }
        if inflight == 0 {
            self.stale_inflight.clear();
        }
    }

    /// Copies compiled code for `key` into the code memory and makes it findable; returns its
    /// address, or 0 if the code changed meanwhile or the memory is full (then reset).
    fn install_code(
        &mut self,
        key: (u64, u64),
        compiled: &Compiled,
        n: u64,
        insns: &[(u64, u32, u8)],
        ir: Option<String>,
    ) -> usize {
        let bytes = &compiled.bytes[..];
        self.stats.code_bytes += bytes.len() as u64;
        let code = {
            let mut g = lock(&self.shared.inner);
            if self.shared.gen.load(Ordering::SeqCst) != self.gen {
                // Code changed (or was reset, recycling our chain slots) meanwhile.
                return 0;
            }
            match g.code.install_with_sites(bytes, &compiled.sites) {
                Some(p) => {
                    if let Some(old) = g.map.insert(key, p as usize) {
                        // Translated again: exits linked to the old code are linked anew
                        // when next taken (the old code stays correct for whoever still
                        // runs it, until the memory is reset).
                        let used = (g.next_slot as usize).min(self.shared.slots.len());
                        for s in self.shared.slots[..used].iter() {
                            if s.load(Ordering::Relaxed) == old as u64 {
                                s.store(0, Ordering::Release);
                            }
                        }
                        if key.1 == self.context
                            && self.jc[Self::jc_index(key.0)].pc.load(Ordering::Relaxed) == key.0
                        {
                            self.jc_fill(key.0, p as usize);
                        }
                    }
                    let mut pages: Vec<u64> = Vec::new();
                    for p in insns.iter().flat_map(|&(a, _, len)| insn_pages(a, len)) {
                        if !pages.contains(&p) {
                            pages.push(p);
                        }
                    }
                    g.pages.insert(key, pages);
                    TRANSLATIONS.fetch_add(1, Ordering::Relaxed);
                    p as usize
                }
                None => {
                    // Full: start over with empty code memory (this block is translated again
                    // when it is next hot).
                    drop(g);
                    self.shared.reset_all(&self.ctx);
                    return 0;
                }
            }
        };
        self.stats.blocks_translated += 1;
        self.stats.insns_translated += n;
        self.stats.host_checked += compiled.sites.len() as u64;
        self.stats.host_gaps += compiled.sites.iter().filter(|(s, b)| s != b).count() as u64;
        if let Some(o) = &self.observer {
            o.translated(&TranslatedBlock {
                guest_pc: key.0,
                guest_insns: n,
                insns,
                host_addr: code,
                host_code: bytes,
                ir: ir.as_deref(),
            });
        }
        code
    }

    /// [`JitEngine::translate`] once it reserved the chain slots from `base` on: the host code
    /// (0 if none), or `None` when the region was queued for the background compiler.
    fn translate_reserved(&mut self, env: &mut X, pc: u64, base: u32) -> Option<usize> {
        let key = (pc, self.context);
        let t0 = Instant::now();
        // Decode the region, dry-run its semantics to learn its register use, then emit its
        // IR: one IR block per guest block, branching to each other in host registers.
        let region = self.decode_region(env, pc);
        if region.is_empty() {
            return Some(0);
        }
        let mut probe = Probe::new(pc);
        // Per block: registers written, guest addresses it may continue at.
        let mut flow: Vec<(u64, [Option<u64>; 3])> = Vec::with_capacity(region.len());
        let mut reads: Vec<u64> = Vec::with_capacity(region.len());
        // Per block: the call it ends in (return address, direct target), and whether it
        // ends in a computed jump.
        let mut links: Vec<Option<(u64, Option<u64>)>> = Vec::with_capacity(region.len());
        let mut indirect: Vec<bool> = Vec::with_capacity(region.len());
        // Computed calls with a likely target and switches, with where they went: (block,
        // target).
        let mut calls_to: Vec<(u64, u64)> = Vec::new();
        let mut switches: Vec<u64> = Vec::new();
        for (start, insns) in &region {
            let mut p = Probe::new(*start);
            let mut end = *start;
            for (at, d) in insns {
                p.begin_insn(*at, u64::from(d.insn.len));
                let sem = match self.probe_table.lookup(d.insn.raw) {
                    Some(e) if d.name != "illegal" => e.sem,
                    _ => crate::decode::illegal::<Probe>,
                };
                // An instruction that traps ends its block: the probe goes on with the next
                // one (it must see every register the region writes).
                let _ = sem(&mut p, &d.insn);
                end = at.wrapping_add(u64::from(d.insn.len));
            }
            probe.read |= p.read;
            reads.push(p.read);
            probe.written |= p.written;
            probe.fence_i |= p.fence_i;
            // A computed call goes where it went when last interpreted, most likely.
            let callee = self.callee(&p);
            links.push(p.link.map(|a| (a, callee)));
            indirect.push(p.indirect);
            let predicted = callee.filter(|_| p.indirect);
            if let Some(t) = predicted {
                calls_to.push((*start, t));
            }
            if p.switch() {
                switches.push(*start);
                calls_to.extend(self.jump_targets(p.pc()).into_iter().map(|t| (*start, t)));
            }
            flow.push((
                p.written,
                [p.targets[0].or(predicted), p.targets[1], Some(end)],
            ));
        }
        let addrs: Vec<u64> = region.iter().map(|(s, _)| *s).collect();
        let mut succ = successors(&addrs, &flow);
        // (A switch may continue at each place it went.)
        let index = |a: u64| addrs.iter().position(|&s| s == a);
        add_edges(
            &mut succ,
            calls_to
                .iter()
                .filter_map(|&(from, to)| Some((index(from)?, index(to)?))),
        );
        // (Loops are found without the return edges below: a region entered again after
        // each call it makes would otherwise carry everything it reads in host registers.)
        let keep = loop_reads(&succ, &reads);
        // A return inside the region (the callee was followed into it) continues at the
        // call's return address, a block of the region too: such a computed jump compares
        // its target with the return address before leaving the region.
        let calls: Vec<Option<(usize, usize)>> = links
            .iter()
            .map(|l| {
                let (ret, callee) = (*l)?;
                Some((index(callee?)?, index(ret)?))
            })
            .collect();
        let is_call: Vec<bool> = links.iter().map(Option::is_some).collect();
        let returns = return_edges(&succ, &calls, &is_call, &indirect);
        add_edges(&mut succ, returns.iter().copied());
        let dirty = region_dirty(&flow, &succ);
        // A region that runs `fence.i` is cut to its first block (whose exits then return to
        // the dispatcher).
        let blocks = if probe.fence_i {
            &region[..1]
        } else {
            &region[..]
        };
        let starts: Vec<(u64, u64, u64)> = blocks
            .iter()
            .zip(dirty.iter().zip(&keep))
            .map(|((s, _), (&d, &k))| (*s, d, k))
            .collect();
        let mut e = ClifEmitter::new(
            self.lowering(),
            pc,
            base,
            base + SLOTS_PER_TRANSLATION,
            if probe.fence_i {
                None
            } else {
                Some((&probe, &starts))
            },
        );
        let fp_calls = {
            let i = self.block_index(pc);
            self.blocks[i].fp_calls
        };
        e.set_fp_exits(self.fp_fast_now && !fp_calls);
        if !probe.fence_i {
            let mut sites: Vec<(u64, u64)> = calls_to
                .into_iter()
                .filter(|&(_, t)| addrs.contains(&t))
                .collect();
            sites.extend(returns.iter().map(|&(i, j)| (addrs[i], addrs[j])));
            e.set_jump_sites(sites, switches);
        }
        e.set_divisors(
            self.divisors
                .iter()
                .copied()
                .filter(|&(at, _)| at != u64::MAX)
                .collect(),
        );
        let mut total = 0u64;
        for (start, insns) in blocks {
            e.begin_block(*start);
            if self.fast.is_some() {
                // (Windows are checks of fast memory: none without it, as in system mode.)
                let min = if e.host_checks() {
                    window::MIN_WITH_HOST_CHECKS
                } else {
                    2
                };
                e.set_windows(window::plan(insns, min));
            }
            let mut n = 0u64;
            let mut at = *start;
            for (a, d) in insns {
                let len = u64::from(d.insn.len);
                e.begin_insn(n, *a, len);
                let r = (d.sem)(&mut e, &d.insn);
                if r.is_ok() && !e.ended && self.inject.as_deref() == Some(d.name) {
                    verify::inject(&mut e, &d.insn);
                }
                n += 1;
                at = a.wrapping_add(len);
                if let Err(ex) = r {
                    e.finish_exception(ex);
                    break;
                }
                if e.ended {
                    break;
                }
            }
            if !e.ended {
                e.finish_fallthrough(at, n);
            }
            total += n;
        }
        let n = total;
        e.finish();
        self.stats.divisions_specialised += u64::from(e.divisions_specialised);
        self.stats.switch_tables += u64::from(e.switch_tables);
        let i = self.block_index(pc);
        let version = self.blocks[i].retranslations;
        let site = |at| ExitSite {
            gen: self.gen,
            key,
            at,
            version,
        };
        for &(slot, at) in &e.miss_slots {
            self.exit_sites.insert(slot, site(Some(at)));
        }
        if let Some(slot) = e.fp_slot {
            self.exit_sites.insert(slot, site(None));
        }
        let ir = match &self.observer {
            Some(o) if o.want_ir() => Some(e.func.display().to_string()),
            _ => None,
        };
        // Every instruction of the region's guest blocks, block by block.
        let insns: Vec<(u64, u32, u8)> = blocks
            .iter()
            .flat_map(|(_, insns)| insns.iter())
            .map(|(a, d)| (*a, d.insn.bits() as u32, d.insn.len))
            .collect();
        if self.cfg.background && self.lockstep.is_none() && !self.dump {
            if self.compiler.is_none() {
                self.compiler = Compiler::start(self.isa.clone());
            }
            if let Some(c) = &mut self.compiler {
                let covers: Vec<(u64, u64)> = blocks
                    .iter()
                    .filter(|(s, _)| *s != pc)
                    .map(|(s, _)| (*s, key.1))
                    .collect();
                let covering = covers.clone();
                let job = Job {
                    key,
                    gen: self.gen,
                    func: e.func,
                    sites: e.host_sites,
                    n,
                    insns,
                    ir,
                    invalidations: self.stats.invalidations,
                    covers,
                };
                if c.jobs.send(job).is_ok() {
                    c.inflight += 1;
                    for k in covering {
                        *self.covered.entry(k).or_default() += 1;
                    }
                    self.stats.compile_ns += t0.elapsed().as_nanos() as u64;
                    return None;
                }
                // The compiler thread is gone: compile here from now on.
                self.compiler = None;
                return Some(0);
            }
        }
        let compiled = compile(&*self.isa, &mut self.cctx, e.func, e.host_sites, self.dump);
        self.stats.compile_ns += t0.elapsed().as_nanos() as u64;
        let compiled = match compiled {
            Ok(c) => c,
            Err(_) => {
                self.stats.compile_failures += 1;
                let i = self.block_index(pc);
                self.blocks[i].no_jit = true;
                return Some(0);
            }
        };
        let code = self.install_code(key, &compiled, n, &insns, ir);
        if code == 0 {
            return Some(0);
        }
        if let Some(l) = &mut self.lockstep {
            let list: Vec<Vec<(u64, u32, u8)>> = blocks
                .iter()
                .map(|(_, insns)| {
                    insns
                        .iter()
                        .map(|(a, d)| (*a, d.insn.bits() as u32, d.insn.len))
                        .collect()
                })
                .collect();
            l.meta
                .insert(code, verify::Meta::new(&list, &compiled.bytes));
        }
        Some(code)
    }

    /// Decodes the region of guest code translated for an entry at `pc`: guest blocks (start
    /// address, instructions) reached from `pc` through direct jumps and both ways of
    /// conditional branches, breadth first, `pc`'s block first, up to [`MAX_REGION_INSNS`]
    /// instructions. A block ends at a control transfer, before the start of another region
    /// block, at [`MAX_BLOCK_INSNS`] or at a fetch or decode failure (the code there then runs
    /// in the interpreter, which reports it). Blocks may overlap (a branch into the middle of a
    /// decoded block starts a new block that duplicates its tail).
    fn decode_region(&self, env: &mut X, pc: u64) -> Region {
        let mut region: Region = Vec::new();
        let mut work = std::collections::VecDeque::from([pc]);
        let mut links: Vec<u64> = Vec::new();
        let mut total = 0;
        while let Some(start) = work.pop_front().or_else(|| {
            work.extend(links.drain(..));
            work.pop_front()
        }) {
            if total >= MAX_REGION_INSNS || region.len() >= MAX_REGION_BLOCKS {
                break;
            }
            if region.iter().any(|(s, _)| *s == start) {
                continue;
            }
            let mut insns = Vec::new();
            let mut at = start;
            while insns.len() < MAX_BLOCK_INSNS && total < MAX_REGION_INSNS {
                if !insns.is_empty() && region.iter().any(|(s, _)| *s == at) {
                    break;
                }
                let Ok(lo) = env.fetch16(at) else { break };
                let d = match self.table.decode(lo, || env.fetch16(at.wrapping_add(2))) {
                    Ok(d) => d,
                    Err(_) => break,
                };
                insns.push((at, d));
                total += 1;
                at = at.wrapping_add(u64::from(d.insn.len));
                if d.ends_block {
                    if d.name != "illegal" {
                        if let Some(e) = self.probe_table.lookup(d.insn.raw) {
                            let mut p = Probe::new(start);
                            p.begin_insn(
                                at.wrapping_sub(u64::from(d.insn.len)),
                                u64::from(d.insn.len),
                            );
                            if (e.sem)(&mut p, &d.insn).is_ok() {
                                work.extend(p.targets.into_iter().flatten());
                                // A computed call: where it went when last interpreted.
                                let callee = self.callee(&p);
                                if p.indirect {
                                    work.extend(callee);
                                }
                                // A switch: each place it went.
                                if p.switch() {
                                    work.extend(self.jump_targets(p.pc()));
                                }
                                // Where a call into the region returns to, after everything
                                // else (a return inside the region continues there).
                                if callee.is_some() {
                                    links.extend(p.link);
                                }
                            }
                        }
                    }
                    break;
                }
            }
            if insns.is_empty() {
                // Nothing decodable at the entry: the interpreter reports the fault.
                if start == pc {
                    return Vec::new();
                }
                continue;
            }
            region.push((start, insns));
        }
        region
    }

    /// Runs blocks until an exception (a syscall is `EcallFromU`), until at least `budget`
    /// instructions have retired or the environment asks to exit (polled before each block and
    /// after helpers with side effects; returns `Ok(())` then), like [`InterpEngine::run`]: `cpu.pc`
    /// is precise on return (the faulting instruction for an exception, otherwise the next
    /// instruction) and `instret` counts exactly the instructions retired.
    pub fn run(&mut self, interp: &mut Interp<X>, budget: u64) -> Result<(), Exception> {
        if self.lockstep.is_some() {
            return self.run_inner::<true>(interp, budget);
        }
        self.run_inner::<false>(interp, budget)
    }

    /// [`JitEngine::run`], with each entry into translated code verified against the
    /// interpreter when `VERIFY` (see [`verify`]).
    #[inline(always)]
    fn run_inner<const VERIFY: bool>(
        &mut self,
        interp: &mut Interp<X>,
        budget: u64,
    ) -> Result<(), Exception> {
        let stop_at = interp.cpu.instret.saturating_add(budget);
        if code::fork_epoch() != self.fork_epoch {
            self.after_fork();
        }
        let fm = interp.env.fast_memory();
        let tlb = interp.env.soft_tlb();
        if !self.fast_known || fm != self.fast || tlb != self.tlb {
            if self.fast_known {
                self.flush();
            }
            self.fast = fm;
            self.tlb = tlb;
            self.fast_known = true;
        }
        let mut stale = Vec::new();
        loop {
            if interp.env.take_code_invalidation(&mut stale) {
                self.invalidate(&mut stale);
            }
            self.install_compiled();
            if self.shared.gen.load(Ordering::Acquire) != self.gen {
                // Another thread changed the shared code.
                self.catch_up();
            }
            if interp.env.exit_requested() {
                return Ok(());
            }
            let cx = interp.env.code_context();
            if cx != self.context {
                self.switch_context(cx);
            }
            let pc = interp.cpu.pc;
            let mut code = self.jc_lookup(pc);
            if code != 0 {
                self.stats.jc_hits += 1;
            } else {
                self.stats.jc_misses += 1;
                let i = self.block_index(pc);
                self.unchain(pc);
                let b = &mut self.blocks[i];
                code = b.code;
                if code == 0 && !b.no_jit {
                    b.count += 1;
                    if b.count >= self.cfg.jit_threshold {
                        b.count = 0;
                        self.take_profile(interp);
                        code = self.translate(&mut interp.env, pc, false);
                        if code != 0 {
                            let i = self.block_index(pc);
                            self.blocks[i].code = code;
                        }
                    }
                }
                if code == 0 {
                    let exit = self.interpret(interp, pc, stop_at)?;
                    if exit || interp.cpu.instret >= stop_at {
                        return Ok(());
                    }
                    continue;
                }
                self.jc_fill(pc, code);
            }
            // Announce that this thread runs translated code, then make sure the code is
            // still current: a thread resetting the code memory waits for `in_jit` to clear,
            // and one invalidating it lowers `stop_at` after moving the generation on.
            // Verified code runs one region per entry (no chaining, back edges leave).
            interp.cpu.stop_at.set(if VERIFY { 0 } else { stop_at });
            // (Both stores are published by the SeqCst store of `in_jit` below, which another
            // thread reads before it uses `cpu_stop`.)
            let cpu_stop: *mut AtomicU64 = (&interp.cpu.stop_at.0 as *const AtomicU64).cast_mut();
            if self.ctx.cpu_stop.load(Ordering::Relaxed) != cpu_stop {
                self.ctx.cpu_stop.store(cpu_stop, Ordering::Relaxed);
            }
            self.ctx.in_jit.store(true, Ordering::SeqCst);
            if self.shared.resetting.load(Ordering::SeqCst)
                || self.shared.gen.load(Ordering::SeqCst) != self.gen
            {
                self.leave_jit();
                while self.shared.resetting.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                continue;
            }
            let r = if VERIFY {
                match self.verify_enter(interp, code) {
                    Ok(r) => r,
                    Err(e) => {
                        self.leave_jit();
                        return Err(e);
                    }
                }
            } else {
                self.enter(interp, code)
            };
            self.leave_jit();
            if VERIFY && self.lockstep_failed() {
                return Ok(());
            }
            let req = self.ctx.requests.swap(0, Ordering::Relaxed);
            if req & (REQ_FLUSH | REQ_PAGES) != 0 {
                stale.append(&mut lock(&self.ctx.stale));
                if req & REQ_FLUSH != 0 {
                    stale.clear();
                }
                self.invalidate(&mut stale);
            }
            match r & 0xff {
                exit::EXCEPTION => {
                    if let Some(mut e) = interp.cpu.take_pending() {
                        // As in the interpreter: an illegal-instruction trap raised by a helper
                        // (CSR, dynamic rounding mode) reports the instruction's bits.
                        if e.cause == crate::Cause::IllegalInstruction && e.tval == 0 {
                            e.tval = instruction_bits(&mut interp.env, interp.cpu.pc);
                        }
                        return Err(e);
                    }
                }
                exit::SLOW => {
                    // Progress: the access runs in the interpreter even if a translation
                    // starts at this pc.
                    self.stats.slow_exits += 1;
                    if self.interpret(interp, interp.cpu.pc, stop_at)? {
                        return Ok(());
                    }
                }
                exit::MISS => self.switch_missed(interp, (r >> 8) as u32),
                exit::LOOKUP => self.stats.lookup_exits += 1,
                exit::FP => {
                    // As for `SLOW`; then counted.
                    self.stats.fp_exits += 1;
                    if self.interpret(interp, interp.cpu.pc, stop_at)? {
                        return Ok(());
                    }
                    self.fp_exited(interp, (r >> 8) as u32);
                }
                exit::CHAIN if interp.env.code_context() == self.context => {
                    let target = self.code_for(interp.cpu.pc);
                    if target != 0 {
                        self.link((r >> 8) as usize, target);
                    }
                }
                _ => {}
            }
            // The budget is spent or the environment asked for an exit.
            if interp.cpu.instret >= stop_at || req & REQ_EXIT != 0 {
                return Ok(());
            }
        }
    }

    /// Interprets the block at `pc` (decoding it on first use), and the interpreted blocks it
    /// chains to while their counts stay below the threshold (see [`CountedChain`]), until
    /// `stop_at` instructions have retired at most. True if an exit request was seen then.
    fn interpret(
        &mut self,
        interp: &mut Interp<X>,
        pc: u64,
        stop_at: u64,
    ) -> Result<bool, Exception> {
        let i = self.block_index(pc);
        if self.blocks[i].interp.is_none() {
            let b = self.decoder.decode_block(&mut interp.env, pc)?;
            let idx = i as u32;
            for p in b.insns.iter().flat_map(|s| insn_pages(s.pc, s.d.insn.len)) {
                let list = self.page_blocks.entry((p, self.context)).or_default();
                if !list.contains(&idx) {
                    list.push(idx);
                }
            }
            self.blocks[i].interp = Some(b);
        }
        self.stats.interp_blocks += 1;
        let b = &self.blocks[i];
        // Entries by chaining (or looping in the block) still to count before the threshold;
        // none for a translated block (run here after a slow exit).
        let credits = match (b.code, b.no_jit) {
            (0, true) => u32::MAX,
            (0, false) => self
                .cfg
                .jit_threshold
                .saturating_sub(b.count.saturating_add(1)),
            _ => 0,
        };
        let Some(block) = &b.interp else {
            return Ok(false);
        };
        // SAFETY: the decoded block lives in `self.blocks[i]` until `invalidate_pages` or
        // `catch_up` drops it, and both empty the chaining cache first (`unchain_all`).
        let old = unsafe { self.chain.put(block, i as u32, credits) };
        let t0 = self.cfg.time_split.then(std::time::Instant::now);
        let (r, exit, chained) = self.chain.run(interp, block, stop_at, self.context);
        if let Some(t0) = t0 {
            self.stats.interp_ns += t0.elapsed().as_nanos() as u64;
        }
        self.stats.interp_blocks += chained;
        if let Some(c) = old {
            self.count_chained(c);
        }
        r.map(|()| exit)
    }

    /// Where the computed call at `pc` went when the interpreter ran it, if known
    /// ([`Interp::jumps`], as of the translation; the lowest address if it went to several):
    /// a region follows the call there (and back), and the call branches there inside the
    /// region when its target matches.
    fn predicted_call(&self, pc: u64) -> Option<u64> {
        self.jump_targets(pc).first().copied()
    }

    /// The places the computed jump at `pc` went when the interpreter ran it
    /// ([`Interp::jumps`], as of the translation), in address order.
    fn jump_targets(&self, pc: u64) -> Vec<u64> {
        let mut t: Vec<u64> = self
            .jumps
            .iter()
            .filter(|&&(at, _)| at == pc)
            .map(|&(_, target)| target)
            .collect();
        t.sort_unstable();
        t
    }

    /// The callee of the call ending a block probed as `p` (the probe's last instruction):
    /// its target, or for a computed call where it went last ([`JitEngine::predicted_call`]);
    /// `None` for a block that ends in no call, or a computed call never seen.
    fn callee(&self, p: &Probe) -> Option<u64> {
        p.link?;
        if p.indirect {
            self.predicted_call(p.pc())
        } else {
            p.targets[0]
        }
    }

    /// Translates one synthetic instruction at `cpu.pc` whose semantics are `body` (instead of
    /// decoded guest code) and runs it once without chaining; like the interpreter, `cpu.pc`
    /// then points after it (4 bytes on) or at it after an exception. For testing the emitter
    /// on operations no registered instruction uses yet.
    #[doc(hidden)]
    pub fn run_synthetic(
        &mut self,
        interp: &mut Interp<X>,
        body: &dyn Fn(&mut ClifEmitter) -> Result<(), Exception>,
    ) -> Result<(), Exception> {
        self.fast = interp.env.fast_memory();
        self.tlb = interp.env.soft_tlb();
        self.fast_known = true;
        self.flush();
        let pc = interp.cpu.pc;
        let low = Lowering {
            slow_exit: false,
            host_loads: false,
            host_stores: false,
            ..self.lowering()
        };
        let mut e = ClifEmitter::new(low, pc, 0, SLOTS_PER_TRANSLATION, None);
        e.begin_insn(0, pc, 4);
        match body(&mut e) {
            Err(x) => e.finish_exception(x),
            Ok(()) if !e.ended => e.finish_fallthrough(pc.wrapping_add(4), 1),
            Ok(()) => {}
        }
        e.finish();
        let bytes =
            compile(&*self.isa, &mut self.cctx, e.func, Vec::new(), self.dump).map(|c| c.bytes);
        let code = {
            let mut g = lock(&self.shared.inner);
            // The slots its exits may use are cleared by the next reset.
            g.next_slot = g.next_slot.max(SLOTS_PER_TRANSLATION);
            match bytes.ok().and_then(|b| g.code.install(&b)) {
                Some(c) => c as usize,
                None => return Err(Exception::new(crate::Cause::IllegalInstruction, 0)),
            }
        };
        interp.cpu.stop_at.set(0);
        if self.enter(interp, code) & 0xff == exit::EXCEPTION {
            if let Some(x) = interp.cpu.take_pending() {
                return Err(x);
            }
        }
        Ok(())
    }

    /// Translations made by every engine of this host process (all guest threads, whether
    /// or not they share code), since this engine was created.
    pub fn process_translations(&self) -> u64 {
        TRANSLATIONS
            .load(Ordering::Relaxed)
            .wrapping_sub(self.translations_at_start)
    }

    /// Code-cache bytes in use and capacity.
    pub fn code_cache_usage(&self) -> (usize, usize) {
        let g = lock(&self.shared.inner);
        (g.code.used(), g.code.size())
    }
}

impl<X: Env> Drop for JitEngine<X> {
    fn drop(&mut self) {
        lock(&self.shared.threads).retain(|c| !Arc::ptr_eq(c, &self.ctx));
    }
}

/// The virtual page numbers of an instruction of `len` bytes at `pc` (two when it crosses a
/// page boundary).
fn insn_pages(pc: u64, len: u8) -> impl Iterator<Item = u64> {
    let (first, last) = (pc >> 12, pc.wrapping_add(u64::from(len.max(1)) - 1) >> 12);
    std::iter::once(first).chain((last != first).then_some(last))
}

/// The bits of the instruction at `pc` (16 for a compressed one), or 0 if it cannot be fetched.
fn instruction_bits<X: Env>(env: &mut X, pc: u64) -> u64 {
    let Ok(lo) = env.fetch16(pc) else { return 0 };
    if lo & 3 != 3 {
        return u64::from(lo);
    }
    match env.fetch16(pc.wrapping_add(2)) {
        Ok(hi) => u64::from(hi) << 16 | u64::from(lo),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::{loop_reads, return_edges, successors};

    #[test]
    fn loop_reads_are_the_reads_of_blocks_on_cycles() {
        // 0x10 -> 0x20 -> 0x30 -> 0x20 (a loop of two blocks), 0x30 -> 0x40 (after the loop),
        // 0x40 -> outside; 0x50 loops on itself.
        let starts = [0x10, 0x20, 0x30, 0x40, 0x50];
        let flow = [
            (0, [Some(0x20), None, None]),
            (0, [Some(0x30), None, None]),
            (0, [Some(0x20), Some(0x40), None]),
            (0, [Some(0x1000), None, None]),
            (0, [Some(0x50), None, Some(0x58)]),
        ];
        let reads = [1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 40];
        let loop2 = 1 << 2 | 1 << 3;
        assert_eq!(
            loop_reads(&successors(&starts, &flow), &reads),
            [0, loop2, loop2, 0, 1 << 40]
        );
        // No cycle: nothing is carried.
        let succ = successors(&starts[..2], &flow[..2]);
        assert_eq!(loop_reads(&succ, &reads[..2]), [0, 0]);
    }

    #[test]
    fn returns_go_back_to_the_calls_of_their_own_function() {
        // Block 0 calls f (block 2) returning to block 1; f (2 -> 3 or 5) calls g (block 4)
        // at 3, returning to 5, which returns (a computed jump). g (4) returns too. Block 1
        // ends in a computed jump that is not a return of anything called here.
        let succ = vec![vec![2], vec![], vec![3, 5], vec![4], vec![], vec![]];
        let calls = [Some((2, 1)), None, None, Some((4, 5)), None, None];
        let is_call = [true, false, false, true, false, false];
        let indirect = [false, true, false, false, true, true];
        let mut edges = return_edges(&succ, &calls, &is_call, &indirect);
        edges.sort();
        // f's return (5) goes to 1, g's (4) to 5; g's return is not f's (3 steps over the
        // call to 5), and 1's jump gets no return edge.
        assert_eq!(edges, [(4, 5), (5, 1)]);
        // A call whose return address is outside the region: its callee's returns get no
        // edge, and the caller's function walk cannot step over it.
        let calls = [Some((2, 1)), None, None, None, None, None];
        assert_eq!(return_edges(&succ, &calls, &is_call, &indirect), [(5, 1)]);
        // Recursion: f (1) calls itself at 2, returning to 3; 1 and 3 end in returns.
        let succ = vec![vec![1], vec![2, 3], vec![1], vec![]];
        let calls = [Some((1, 3)), None, Some((1, 3)), None];
        let is_call = [true, false, true, false];
        let indirect = [false, false, false, true];
        assert_eq!(return_edges(&succ, &calls, &is_call, &indirect), [(3, 3)]);
    }
}
