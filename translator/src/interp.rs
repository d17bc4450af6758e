//! The interpreter: an [`Emitter`] that executes each operation at once.
//!
//! This is the reference engine (the JIT is checked against it) and the fallback engine. Guest
//! code is decoded once into blocks of pre-decoded instructions, each bound to its monomorphized
//! semantic function, and kept in a block cache with a direct-mapped jump cache in front; a hot
//! loop is not decoded again until the cache is flushed (`fence.i`, unmapping code, ...).
//!
//! A block runs as threaded code: each instruction has a handler that executes it and then
//! tail-calls the next instruction's handler, so there is no central dispatch loop and no
//! per-instruction bookkeeping (the retired count is added once per block exit). A block's
//! end goes on to the next block through the jump cache (see `chain`) while the budget
//! lasts, so the dispatch loop runs only on misses and stop requests; a taken branch or jump
//! to an instruction of its own block goes straight there (see `in_block`). Loads and stores access
//! the environment's [`FastMem`] inline when they can (see `InlineMem`). The hottest
//! RV64I instructions have handlers of their own, monomorphized from the decode table's
//! semantic functions (see [`Kind`]); every other instruction runs in the generic handler,
//! which calls its semantic function through the table's function pointer.

use crate::pcmap::PcMap as HashMap;

use crate::decode::{DecodeError, Decoded, Insn, Sem, Table};
use crate::emit::{AmoOp, BinOp, Cond, CsrOp, Emitter, FenceKind, Helper, SystemOp, UnOp, Width};
use crate::riscv::rvi;
use crate::{Cause, CpuState, Exception, NO_RESERVATION};

/// What the interpreter needs from the machine it runs in: memory, CSRs beyond the FP ones,
/// and notification of `fence.i`.
pub trait Env {
    /// Loads `w` bytes at `addr`, zero-extended. Faults are exceptions.
    fn load(&mut self, addr: u64, w: Width) -> Result<u64, Exception>;
    /// Stores the low `w` bytes of `val` at `addr`.
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception>;
    /// Atomically applies `op` with `val` to the naturally aligned `w` bytes at `addr` and returns
    /// the old value, zero-extended. `addr` is aligned (the emitter checks).
    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception>;
    /// Atomically replaces the aligned `w` bytes at `addr` with `new` if they equal `expected`
    /// (both zero-extended); returns whether it did. Faults like a store.
    fn cmpxchg(&mut self, addr: u64, expected: u64, new: u64, w: Width) -> Result<bool, Exception>;
    /// Fetches 16 bits of instruction at `addr` (instruction-fetch permissions).
    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception>;
    /// CSR access for CSRs other than `fflags`, `frm` and `fcsr`; see [`Emitter::csr`].
    fn csr(
        &mut self,
        cpu: &mut CpuState,
        csr: u16,
        op: CsrOp,
        src: u64,
        read: bool,
        write: bool,
    ) -> Result<u64, Exception>;
    /// `fence.i` executed: code may have changed.
    fn fence_i(&mut self);
    /// Whether cached decoded blocks must be dropped (code was modified, unmapped or remapped).
    /// The interpreter polls this before each block and clears it by flushing.
    fn take_code_flush(&mut self) -> bool;
    /// Like [`Env::take_code_flush`], but the machine may confine the change to some pages:
    /// false when no cached code changed; true with `pages` left empty when every cached
    /// block must go; true with `pages` extended by (virtual page number, code context) pairs
    /// when only blocks with an instruction byte on one of those pages must go (the others
    /// stay valid). Default: whole flushes only.
    fn take_code_invalidation(&mut self, pages: &mut Vec<(u64, u64)>) -> bool {
        let _ = pages;
        self.take_code_flush()
    }
    /// Whether `take_code_flush` would return true, without taking it. Engines use it to keep
    /// running an already-looked-up block; the default (always true) just disables that.
    fn code_flush_pending(&self) -> bool {
        true
    }
    /// What fetching depends on besides the pc (in system mode: the privilege level when
    /// translation is on, as U and S fetch through different permissions). Engines cache
    /// decoded and translated blocks by (pc, context) and check it between blocks; whatever
    /// ends a block (a trap, `xret`) may change it. Default: one context.
    #[inline(always)]
    fn code_context(&self) -> u64 {
        0
    }
    /// The guest memory as one host region plus a page-permission table, if it is laid out that
    /// way, so translated code can access it inline (see [`FastMem`]). Engines fall back to
    /// [`Env::load`]/[`Env::store`] for every access when this is `None` (the default).
    fn fast_memory(&self) -> Option<FastMem> {
        None
    }
    /// A software TLB translated code may probe inline before calling [`Env::load`] /
    /// [`Env::store`] (see [`SoftTlb`]); used when there is no [`FastMem`]. Default: none.
    fn soft_tlb(&self) -> Option<SoftTlb> {
        None
    }
    /// A privileged instruction ([`Emitter::system`]). `cpu.pc` is already the next
    /// instruction; the machine may redirect it (`mret`). Default: illegal instruction.
    fn system(
        &mut self,
        cpu: &mut CpuState,
        op: SystemOp,
        a: u64,
        b: u64,
    ) -> Result<(), Exception> {
        let _ = (cpu, op, a, b);
        Err(Exception::new(Cause::IllegalInstruction, 0))
    }
    /// Whether [`Env::fp_enabled`] is overridden (may fail or have effects). Translating
    /// engines call it before every floating-point instruction only when this is true, so a
    /// machine whose FP unit is always on (Linux user mode) pays nothing for it.
    const CHECKS_FP: bool = false;
    /// [`Emitter::fp_enabled`], also checked before `fflags`/`frm`/`fcsr` accesses.
    /// Default: the FP unit is always on. An `Env` that overrides it sets
    /// [`Env::CHECKS_FP`].
    fn fp_enabled(&mut self) -> Result<(), Exception> {
        Ok(())
    }
    /// Whether the engine should return to its caller before the next block (an interrupt may
    /// have become pending, the machine halted). Polled before each block, unless
    /// [`Env::EXITS_ASYNC`] says it need not be. Default: never.
    fn exit_requested(&mut self) -> bool {
        false
    }
    /// Whether [`Env::exit_requested`] only becomes true from outside the guest's instruction
    /// stream (another thread, a host signal handler, a timer), never through what an
    /// instruction does to the environment (a store, a CSR write). Engines then poll it every
    /// few thousand instructions instead of before each block: such a request is asynchronous
    /// anyway, so it is served a little later but at a block boundary all the same.
    /// Default: false (polled before each block).
    const EXITS_ASYNC: bool = false;
}

/// An environment with nothing behind it, for decoding only (a disassembler, a decode-table
/// check): every access faults, every CSR is illegal. `Table<Interp<NoEnv>>` decodes without
/// a machine.
pub struct NoEnv;

impl Env for NoEnv {
    fn load(&mut self, _: u64, _: Width) -> Result<u64, Exception> {
        Err(Exception::new(Cause::LoadAccessFault, 0))
    }
    fn store(&mut self, _: u64, _: u64, _: Width) -> Result<(), Exception> {
        Err(Exception::new(Cause::StoreAccessFault, 0))
    }
    fn amo(&mut self, _: AmoOp, _: u64, _: u64, _: Width) -> Result<u64, Exception> {
        Err(Exception::new(Cause::StoreAccessFault, 0))
    }
    fn cmpxchg(&mut self, _: u64, _: u64, _: u64, _: Width) -> Result<bool, Exception> {
        Err(Exception::new(Cause::StoreAccessFault, 0))
    }
    fn fetch16(&mut self, _: u64) -> Result<u16, Exception> {
        Err(Exception::new(Cause::InstructionAccessFault, 0))
    }
    fn csr(
        &mut self,
        _: &mut CpuState,
        _: u16,
        _: CsrOp,
        _: u64,
        _: bool,
        _: bool,
    ) -> Result<u64, Exception> {
        Err(Exception::new(Cause::IllegalInstruction, 0))
    }
    fn fence_i(&mut self) {}
    fn take_code_flush(&mut self) -> bool {
        false
    }
}

/// Describes a guest memory that translated code may access directly: guest address `a` is host
/// address `base + a`, and `perms[a >> 12]` holds the permission bits of its (4 KiB) page for
/// every page below `pages`. An access is done inline only if its page is inside the table, has
/// the needed bit (`read` for loads; `write` and not `code` for stores) and the access does not
/// cross the page; every other access goes through the [`Env`] (which reports the fault or
/// notes the store to a code page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastMem {
    base: *mut u8,
    perms: *const u8,
    pages: u64,
    read: u8,
    /// What a page's byte, masked, must equal for an inline store: `write` and not `code`
    /// (mask `write | code`), or the environment's store bit set (mask and value that bit,
    /// [`FastMem::with_store_bit`]).
    store_mask: u8,
    store_want: u8,
    /// The environment keeps host protections in step with `read` (see
    /// [`FastMem::with_host_loads`]).
    host_loads: bool,
    /// ... and with the store test ([`FastMem::with_host_stores`]).
    host_stores: bool,
}

impl FastMem {
    /// # Safety
    ///
    /// For as long as the `Env` that returns this value lives and keeps returning it: `perms`
    /// points to `pages + 1` readable bytes, the last of which (a guard: an access window's
    /// check reads the byte of the page after the first one it checks) is always zero; for
    /// every page `p < pages` whose permission byte has `read` set, the [`FastMem::PAGE_SIZE`]
    /// host bytes at `base + p * PAGE_SIZE` are readable, and writable if the byte has `write`
    /// set and `code` clear (the store test; a page holding code may be host read-only).
    /// Permission bytes may change between accesses (the table is read at each access).
    pub unsafe fn new(
        base: *mut u8,
        perms: *const u8,
        pages: u64,
        read: u8,
        write: u8,
        code: u8,
    ) -> Self {
        Self {
            base,
            perms,
            pages,
            read,
            store_mask: write | code,
            store_want: write,
            host_loads: false,
            host_stores: false,
        }
    }

    /// Translated code may check loads with the host MMU instead of the table (see
    /// [`crate::jit::fault`]): it loads from any page inside the table's range after checking
    /// only that bound, and the host faults where the page is not readable.
    ///
    /// # Safety
    ///
    /// For as long as the environment returns this value: every host page of
    /// `[base, base + pages * PAGE_SIZE + PAGE_SIZE)` (the guest space and one guard page
    /// after it) whose permission byte lacks `read` is not host-readable, except for an
    /// instant while another thread changes it; a host fault on such a page in translated code
    /// is handled by [`crate::jit::fault::install`]'s handler (installed), and one outside
    /// translated code in a region registered with [`crate::jit::fault::add_region`].
    pub unsafe fn with_host_loads(self) -> Self {
        Self {
            host_loads: true,
            ..self
        }
    }

    /// Whether [`FastMem::with_host_loads`] holds.
    pub fn host_loads(&self) -> bool {
        self.host_loads
    }

    /// As [`FastMem::with_host_loads`], for stores: translated code may store to any page
    /// inside the table's range after checking only that bound.
    ///
    /// # Safety
    ///
    /// [`FastMem::with_host_loads`]'s conditions hold, and every host page of the guest space
    /// whose permission byte fails the store test ([`FastMem::store_test`]: not writable, or
    /// holding code) is not host-writable, except for an instant while another thread changes
    /// it (or while code made from it is about to be dropped: a host-side store to a page
    /// holding code opens it and asks for the code to be dropped).
    pub unsafe fn with_host_stores(self) -> Self {
        Self {
            host_stores: true,
            ..self
        }
    }

    /// Whether [`FastMem::with_host_stores`] holds.
    pub fn host_stores(&self) -> bool {
        self.host_stores
    }

    /// Inline stores test one bit, `store`, which the environment keeps set on exactly the
    /// pages whose byte has `write` and not `code` (one test instead of mask and compare).
    ///
    /// # Safety
    ///
    /// As for [`FastMem::new`]: a page whose byte has `store` set is host-writable and holds
    /// no translated code, for as long as the environment returns this value.
    pub unsafe fn with_store_bit(self, store: u8) -> Self {
        Self {
            store_mask: store,
            store_want: store,
            ..self
        }
    }

    /// The inline-store test: `(byte & mask) == want`.
    pub fn store_test(&self) -> (u8, u8) {
        (self.store_mask, self.store_want)
    }
    pub fn base(&self) -> *mut u8 {
        self.base
    }
    pub fn perms(&self) -> *const u8 {
        self.perms
    }
    pub fn pages(&self) -> u64 {
        self.pages
    }
    /// Guest pages are 4 KiB in every environment (a constant, so inline checks shift and
    /// mask by immediates).
    pub const PAGE_SHIFT: u32 = 12;
    pub const PAGE_SIZE: u64 = 1 << Self::PAGE_SHIFT;
    /// The permission bit of readable pages (the inline-load test).
    pub fn read_bit(&self) -> u8 {
        self.read
    }

    /// No memory (no page): what the interpreter's specialised load and store handlers see
    /// when the environment has no [`FastMem`], so they never access memory inline.
    const NONE: FastMem = FastMem {
        base: std::ptr::null_mut(),
        perms: std::ptr::null(),
        pages: 0,
        read: 0,
        store_mask: 0,
        store_want: 0,
        host_loads: false,
        host_stores: false,
    };

    /// The host address of the `w` bytes at guest `addr` if they lie in one page whose
    /// permission byte, masked with `mask`, is `want` (for loads `read` and `read`: readable;
    /// for stores `write | code` and `write`: writable and holding no code).
    #[inline(always)]
    fn host(&self, addr: u64, w: Width, mask: u8, want: u8) -> Option<*mut u8> {
        let page = addr >> Self::PAGE_SHIFT;
        // (A byte is always in one page: no check for it, as `w` is a constant here. An
        // aligned access is in one page too, so the offset is only compared for a misaligned
        // one: the common case tests the low bits only.)
        let in_page = w == Width::B
            || addr & (w.bytes() - 1) == 0
            || addr & (Self::PAGE_SIZE - 1) <= Self::PAGE_SIZE - w.bytes();
        if page >= self.pages || !in_page {
            return None;
        }
        // SAFETY: `page < pages`, and the `FastMem` contract makes `perms` point to `pages`
        // readable bytes for as long as the environment returns it (see `Interp::mem`).
        let p = unsafe { *self.perms.add(page as usize) };
        if p & mask != want {
            return None;
        }
        // Inside the guest region: the page is in the table and permitted.
        Some(self.base.wrapping_add(addr as usize))
    }
}

/// One entry of a [`SoftTlb`] table: `tag` is the page-aligned guest virtual address it
/// translates (a value with any of its low 12 bits set, like [`SoftTlbEntry::EMPTY`]'s, never
/// matches), and `tag + addend` is the host address of that page.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftTlbEntry {
    pub tag: u64,
    pub addend: u64,
}

impl SoftTlbEntry {
    /// Matches no access.
    pub const EMPTY: SoftTlbEntry = SoftTlbEntry {
        tag: u64::MAX,
        addend: 0,
    };
}

/// Describes a software TLB that translated code may probe inline (the idea of QEMU's softmmu
/// TLB): `current` points to two host words, the addresses of the direct-mapped tables of
/// `mask + 1` [`SoftTlbEntry`]s to use now for loads and for stores (the environment switches
/// tables when what decides permissions changes, e.g. the privilege level). An access of `w`
/// bytes at guest `va` may be done at host `va + addend` when the entry at index
/// `(va >> 12) & mask` of the table has `tag == va & !(0xfff ^ (w - 1))` (the page of `va`,
/// and `va` aligned to `w`: a misaligned address keeps low bits no tag has); anything else
/// goes through
/// [`Env::load`]/[`Env::store`], which may fill the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftTlb {
    current: *const u64,
    mask: u64,
}

impl SoftTlb {
    /// # Safety
    ///
    /// For as long as the `Env` that returns this value lives and keeps returning it: `current`
    /// points to two readable `u64`s, each the address of a readable table of `mask + 1`
    /// [`SoftTlbEntry`]s (`mask + 1` a power of two); for every entry whose `tag` has its low
    /// 12 bits clear, the
    /// 4096 host bytes at `tag + addend` are guest memory that may be read (load tables) or
    /// written (store tables) directly with no other effect, until the environment changes
    /// the entry (which it does only inside its own methods).
    pub unsafe fn new(current: *const u64, mask: u64) -> Self {
        Self { current, mask }
    }
    pub fn current(&self) -> *const u64 {
        self.current
    }
    pub fn mask(&self) -> u64 {
        self.mask
    }

    /// The host address of the `w` bytes at guest `va` if the current load (or store) table
    /// translates them (the probe translated code does inline).
    #[inline(always)]
    fn host(&self, va: u64, w: Width, store: bool) -> Option<*mut u8> {
        // SAFETY: the `SoftTlb` contract: `current` points to two readable words, each the
        // address of a table of `mask + 1` entries; the index is masked.
        let e = unsafe {
            let table = *self.current.add(usize::from(store)) as *const SoftTlbEntry;
            *table.add(((va >> 12) & self.mask) as usize)
        };
        (e.tag == va & !(0xfff ^ (w.bytes() - 1))).then(|| va.wrapping_add(e.addend) as *mut u8)
    }
}

/// A hart being interpreted: the CPU state, its environment, and the instruction in flight.
pub struct Interp<X> {
    pub cpu: CpuState,
    pub env: X,
    pc: u64,
    len: u64,
    /// Index of the instruction in flight within its block (instructions retired before it
    /// in the block are not yet counted in `cpu.instret`).
    pub(crate) idx: u64,
    /// Block chaining (see [`chain`]), set by [`InterpEngine::run`] while it runs: a block
    /// that ends with `cpu.instret` below `chain_stop` goes straight on to the next block
    /// when the jump cache at `chain_jc` holds it. 0 outside `run`: no chaining.
    chain_stop: u64,
    /// The engine's jump cache (`JUMP_CACHE_SIZE` entries), valid while `chain_stop != 0`.
    chain_jc: *const JcEntry<X>,
    /// Null, or (with a [`CountedChain`] running) its credits: one count per jump cache
    /// entry, of the times a block may still be entered by chaining (see [`credit`]).
    chain_left: *mut u32,
    /// Credits taken in the current [`CountedChain::run`].
    chain_runs: u64,
    /// The code context the jump cache holds blocks for.
    chain_cx: u64,
    /// [`chain`] saw [`Env::exit_requested`] return true: the request is consumed by asking,
    /// so the run loop must return without asking again.
    chain_exit: bool,
    /// One op whose handler returns: where a block goes when it does not chain.
    stop_op: Box<[Op<X>]>,
    /// The targets of the jump instructions run, as (address, target) pairs: entry
    /// [`target_slot`]`(pc, target)` holds the latest pair that hashed there, so a computed
    /// jump that goes to several places leaves one entry for each (as long as they do not
    /// collide). The JIT follows a computed call to where it went and a computed jump that
    /// is not a return (a `switch`) to each place it went.
    pub(crate) jumps: Box<[(u64, u64); JUMP_RECORDS]>,
    /// The latest divisor of the division and remainder instructions run, by instruction
    /// address: entry [`jump_slot`]`(pc)` holds (address, divisor as the
    /// semantics passed it to `bin`). The JIT specialises a division for that divisor.
    pub(crate) divisors: Box<[(u64, u64); JUMP_HISTORY]>,
    /// The environment's [`FastMem`] (or [`FastMem::NONE`]), as it last returned it (on
    /// creation, on entering [`InterpEngine::run`] and before decoding a block there).
    mem: FastMem,
    /// The environment's [`SoftTlb`] (probed when `mem` does not allow an access), as it
    /// returned it when `mem` was taken.
    tlb: Option<SoftTlb>,
}

impl<X: Env> Interp<X> {
    pub fn new(cpu: CpuState, env: X) -> Self {
        let mem = env.fast_memory().unwrap_or(FastMem::NONE);
        let tlb = env.soft_tlb();
        Self {
            mem,
            tlb,
            cpu,
            env,
            pc: 0,
            len: 4,
            idx: 0,
            chain_stop: 0,
            chain_jc: std::ptr::null(),
            chain_left: std::ptr::null_mut(),
            chain_runs: 0,
            chain_cx: 0,
            chain_exit: false,
            stop_op: Box::new([Op::stop()]),
            jumps: Box::new([(u64::MAX, 0); JUMP_RECORDS]),
            divisors: Box::new([(u64::MAX, 0); JUMP_HISTORY]),
        }
    }
}

/// A stop op, and a jump-cache entry for no block that leads to it (the stop op must live as
/// long as the entry is used).
fn empty_jump_cache_entry<X: Env>() -> (Box<[Op<X>]>, JcEntry<X>) {
    let stop_op: Box<[Op<X>]> = Box::new([Op::stop()]);
    let empty = JcEntry {
        pc: u64::MAX,
        ops: stop_op.as_ptr(),
    };
    (stop_op, empty)
}

/// Entries of [`Interp::divisors`].
pub(crate) const JUMP_HISTORY: usize = 64;

/// The entry of [`Interp::divisors`] for the instruction at `pc`.
#[inline(always)]
pub(crate) fn jump_slot(pc: u64) -> usize {
    (pc >> 1) as usize % JUMP_HISTORY
}

/// Entries of [`Interp::jumps`].
pub(crate) const JUMP_RECORDS: usize = 256;

/// The entry of [`Interp::jumps`] for the jump at `pc` to `target`. Instructions are at even
/// addresses, and the targets of one `switch` are close together: those less than
/// `2 * JUMP_RECORDS` bytes apart get entries of their own.
#[inline(always)]
pub(crate) fn target_slot(pc: u64, target: u64) -> usize {
    ((pc ^ target) >> 1) as usize % JUMP_RECORDS
}

/// The interpreter as the emitter of the specialised load and store handlers: an access that
/// [`FastMem::host`] or the [`SoftTlb`] allows is done inline; any other one is not done at all but reported as
/// an `Err` (with no side effect before it: the semantic functions compute the address and
/// value, then access memory once). The handler then runs the instruction again in the
/// generic handler, through the environment, which does it or raises the right exception.
/// This keeps calls (and the register saves they need) out of the handlers' common path.
///
/// It is also the emitter of the specialised handlers of instructions that only compute a
/// register (`plain`), and it writes integer registers without checking for `x0`: the
/// handlers that use it run only instructions whose `rd` is not `x0` or that write no integer
/// register (see `handler`: a `plain` instruction with `rd = x0` has no effect and gets the
/// `nop` handler; a load to `x0` runs in the generic handler). Everything else is the
/// [`Interp`]'s.
struct InlineMem<'a, X>(&'a mut Interp<X>);

/// What an [`InlineMem`] access that is not done inline returns (never seen by the guest).
const NOT_INLINE: Exception = Exception {
    cause: Cause::LoadAccessFault,
    tval: 0,
};

impl<X: Env> Emitter for InlineMem<'_, X> {
    type V = u64;

    #[inline(always)]
    fn load(&mut self, addr: u64, w: Width, signed: bool) -> Result<u64, Exception> {
        let m = &self.0.mem;
        let Some(p) = m
            .host(addr, w, m.read, m.read)
            .or_else(|| self.0.tlb.and_then(|t| t.host(addr, w, false)))
        else {
            return Err(NOT_INLINE);
        };
        // SAFETY: `host` checked the `w` bytes are in one readable page of the region
        // (host-readable per the `FastMem` contract), or the TLB's load table maps them (and
        // then they are aligned, per the `SoftTlb` contract); unaligned reads, as guest
        // addresses may be unaligned.
        let v = unsafe { w.read_host(p) };
        Ok(if signed { sext_w(v, w) } else { v })
    }
    #[inline(always)]
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        let m = &self.0.mem;
        // Pages holding decoded code are left to the environment, which notes the change.
        let Some(p) = m
            .host(addr, w, m.store_mask, m.store_want)
            .or_else(|| self.0.tlb.and_then(|t| t.host(addr, w, true)))
        else {
            return Err(NOT_INLINE);
        };
        // SAFETY: `host` checked the `w` bytes are in one writable page of the region that
        // holds no code (host-writable per the `FastMem` contract), or the TLB's store table
        // maps them (which the environment fills only for such pages, see `SoftTlb`).
        unsafe { w.write_host(p, val) };
        Ok(())
    }

    #[inline(always)]
    fn pc(&self) -> u64 {
        self.0.pc()
    }
    #[inline(always)]
    fn insn_len(&self) -> u64 {
        self.0.insn_len()
    }
    #[inline(always)]
    fn imm(&mut self, v: u64) -> u64 {
        v
    }
    #[inline(always)]
    fn xreg(&mut self, r: u8) -> u64 {
        self.0.xreg(r)
    }
    #[inline(always)]
    fn set_xreg(&mut self, r: u8, v: u64) {
        // Never `x0` here (see above): no check.
        debug_assert!(r != 0);
        self.0.cpu.x[(r & 31) as usize] = v;
    }
    #[inline(always)]
    fn freg(&mut self, r: u8) -> u64 {
        self.0.freg(r)
    }
    #[inline(always)]
    fn set_freg(&mut self, r: u8, v: u64) {
        self.0.set_freg(r, v)
    }
    #[inline(always)]
    fn bin(&mut self, op: BinOp, a: u64, b: u64) -> u64 {
        self.0.bin(op, a, b)
    }
    #[inline(always)]
    fn un(&mut self, op: UnOp, a: u64) -> u64 {
        self.0.un(op, a)
    }
    #[inline(always)]
    fn cmp(&mut self, cond: Cond, a: u64, b: u64) -> u64 {
        self.0.cmp(cond, a, b)
    }
    #[inline(always)]
    fn select(&mut self, c: u64, t: u64, f: u64) -> u64 {
        self.0.select(c, t, f)
    }
    fn load_reserved(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        self.0.load_reserved(addr, w)
    }
    fn store_conditional(&mut self, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        self.0.store_conditional(addr, val, w)
    }
    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        self.0.amo(op, addr, val, w)
    }
    fn fence(&mut self, kind: FenceKind) {
        self.0.fence(kind)
    }
    fn csr(
        &mut self,
        csr: u16,
        op: CsrOp,
        src: u64,
        read: bool,
        write: bool,
    ) -> Result<u64, Exception> {
        self.0.csr(csr, op, src, read, write)
    }
    fn call(&mut self, h: &'static Helper, a: u64, b: u64, c: u64) -> Result<u64, Exception> {
        self.0.call(h, a, b, c)
    }
    fn branch(&mut self, cond: u64, target: u64) {
        self.0.branch(cond, target)
    }
    fn jump(&mut self, target: u64) {
        self.0.jump(target)
    }
    fn system(&mut self, op: SystemOp, a: u64, b: u64) -> Result<(), Exception> {
        self.0.system(op, a, b)
    }
    fn fp_enabled(&mut self) -> Result<(), Exception> {
        self.0.fp_enabled()
    }
    fn trap(&mut self, cause: Cause, tval: u64) -> Exception {
        self.0.trap(cause, tval)
    }
}

/// Combines a CSR's old value with a CSR instruction's source operand.
pub fn csr_combine(op: CsrOp, old: u64, src: u64) -> u64 {
    match op {
        CsrOp::Write => src,
        CsrOp::Set => old | src,
        CsrOp::Clear => old & !src,
    }
}

/// The floating-point CSRs (`fflags` 0x001, `frm` 0x002, `fcsr` 0x003), which live in
/// [`CpuState`]. Returns `None` for any other CSR.
pub fn fp_csr(cpu: &mut CpuState, csr: u16, op: CsrOp, src: u64, write: bool) -> Option<u64> {
    let old = match csr {
        0x001 => cpu.fflags & 0x1f,
        0x002 => cpu.frm & 7,
        0x003 => (cpu.frm & 7) << 5 | (cpu.fflags & 0x1f),
        _ => return None,
    };
    if write {
        let new = csr_combine(op, old, src);
        match csr {
            0x001 => cpu.fflags = new & 0x1f,
            0x002 => cpu.frm = new & 7,
            _ => {
                cpu.fflags = new & 0x1f;
                cpu.frm = (new >> 5) & 7;
            }
        }
    }
    Some(old)
}

fn sext_w(v: u64, w: Width) -> u64 {
    match w {
        Width::B => v as i8 as i64 as u64,
        Width::H => v as i16 as i64 as u64,
        Width::W => v as i32 as i64 as u64,
        Width::D => v,
    }
}

fn trunc(v: u64, w: Width) -> u64 {
    match w {
        Width::B => v & 0xff,
        Width::H => v & 0xffff,
        Width::W => v & 0xffff_ffff,
        Width::D => v,
    }
}

/// Applies an AMO operation to the old and operand values (both as the access width's bits,
/// sign-interpretation by `w`). Shared by memory implementations.
pub fn amo_apply(op: AmoOp, old: u64, val: u64, w: Width) -> u64 {
    let (so, sv) = (sext_w(old, w) as i64, sext_w(val, w) as i64);
    let (uo, uv) = (trunc(old, w), trunc(val, w));
    let r = match op {
        AmoOp::Swap => val,
        AmoOp::Add => old.wrapping_add(val),
        AmoOp::Xor => old ^ val,
        AmoOp::And => old & val,
        AmoOp::Or => old | val,
        AmoOp::Min => so.min(sv) as u64,
        AmoOp::Max => so.max(sv) as u64,
        AmoOp::MinU => uo.min(uv),
        AmoOp::MaxU => uo.max(uv),
    };
    trunc(r, w)
}

impl<X: Env> Emitter for Interp<X> {
    type V = u64;

    #[inline(always)]
    fn pc(&self) -> u64 {
        self.pc
    }
    #[inline(always)]
    fn insn_len(&self) -> u64 {
        self.len
    }
    #[inline(always)]
    fn imm(&mut self, v: u64) -> u64 {
        v
    }
    #[inline(always)]
    fn xreg(&mut self, r: u8) -> u64 {
        self.cpu.x[(r & 31) as usize]
    }
    #[inline(always)]
    fn set_xreg(&mut self, r: u8, v: u64) {
        if r != 0 {
            self.cpu.x[(r & 31) as usize] = v;
        }
    }
    #[inline(always)]
    fn freg(&mut self, r: u8) -> u64 {
        self.cpu.f[(r & 31) as usize]
    }
    #[inline(always)]
    fn set_freg(&mut self, r: u8, v: u64) {
        self.cpu.f[(r & 31) as usize] = v;
    }

    #[inline(always)]
    fn bin(&mut self, op: BinOp, a: u64, b: u64) -> u64 {
        match op {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::And => a & b,
            BinOp::Or => a | b,
            BinOp::Xor => a ^ b,
            BinOp::AndNot => a & !b,
            BinOp::OrNot => a | !b,
            BinOp::XorNot => !(a ^ b),
            BinOp::Shl => a << (b & 63),
            BinOp::Shr => a >> (b & 63),
            BinOp::Sar => ((a as i64) >> (b & 63)) as u64,
            BinOp::Rotl => a.rotate_left((b & 63) as u32),
            BinOp::Rotr => a.rotate_right((b & 63) as u32),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::MulHS => ((a as i64 as i128 * b as i64 as i128) >> 64) as u64,
            BinOp::MulHU => ((a as u128 * b as u128) >> 64) as u64,
            BinOp::MulHSU => ((a as i64 as i128).wrapping_mul(b as i128) >> 64) as u64,
            // The semantics never divide by zero or MIN/-1; wrapping_* and the zero checks keep
            // this total anyway, so no guest value can panic the host.
            // Each division arm records its divisor (for the JIT) itself: one test of `op`
            // before the match cost every operation, 2-4% of qsort's time interpreted.
            BinOp::DivS => {
                self.divisors[jump_slot(self.pc)] = (self.pc, b);
                (a as i64).checked_div(b as i64).unwrap_or(-1) as u64
            }
            BinOp::DivU => {
                self.divisors[jump_slot(self.pc)] = (self.pc, b);
                a.checked_div(b).unwrap_or(u64::MAX)
            }
            BinOp::RemS => {
                self.divisors[jump_slot(self.pc)] = (self.pc, b);
                (a as i64).checked_rem(b as i64).unwrap_or(a as i64) as u64
            }
            BinOp::RemU => {
                self.divisors[jump_slot(self.pc)] = (self.pc, b);
                a.checked_rem(b).unwrap_or(a)
            }
            BinOp::MinS => (a as i64).min(b as i64) as u64,
            BinOp::MinU => a.min(b),
            BinOp::MaxS => (a as i64).max(b as i64) as u64,
            BinOp::MaxU => a.max(b),
        }
    }

    #[inline(always)]
    fn un(&mut self, op: UnOp, a: u64) -> u64 {
        match op {
            UnOp::Not => !a,
            UnOp::Neg => a.wrapping_neg(),
            UnOp::Sext8 => a as i8 as i64 as u64,
            UnOp::Sext16 => a as i16 as i64 as u64,
            UnOp::Sext32 => a as i32 as i64 as u64,
            UnOp::Zext8 => a as u8 as u64,
            UnOp::Zext16 => a as u16 as u64,
            UnOp::Zext32 => a as u32 as u64,
            UnOp::Clz => a.leading_zeros() as u64,
            UnOp::Ctz => a.trailing_zeros() as u64,
            UnOp::Cpop => a.count_ones() as u64,
            UnOp::Rev8 => a.swap_bytes(),
            UnOp::OrcB => {
                let mut r = 0u64;
                for i in 0..8 {
                    if (a >> (i * 8)) & 0xff != 0 {
                        r |= 0xff << (i * 8);
                    }
                }
                r
            }
        }
    }

    #[inline(always)]
    fn cmp(&mut self, cond: Cond, a: u64, b: u64) -> u64 {
        (match cond {
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::LtS => (a as i64) < (b as i64),
            Cond::GeS => (a as i64) >= (b as i64),
            Cond::LtU => a < b,
            Cond::GeU => a >= b,
        }) as u64
    }

    #[inline(always)]
    fn select(&mut self, c: u64, t: u64, f: u64) -> u64 {
        if c != 0 {
            t
        } else {
            f
        }
    }

    #[inline(always)]
    fn load(&mut self, addr: u64, w: Width, signed: bool) -> Result<u64, Exception> {
        let v = self.env.load(addr, w)?;
        Ok(if signed { sext_w(v, w) } else { v })
    }

    #[inline(always)]
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        self.env.store(addr, val, w)
    }

    fn load_reserved(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        if addr & (w.bytes() - 1) != 0 {
            return Err(Exception::new(Cause::LoadMisaligned, addr));
        }
        let v = self.env.load(addr, w)?;
        self.cpu.reservation = addr;
        self.cpu.reservation_value = v;
        Ok(sext_w(v, w))
    }

    fn store_conditional(&mut self, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        if addr & (w.bytes() - 1) != 0 {
            return Err(Exception::new(Cause::StoreMisaligned, addr));
        }
        let reserved = self.cpu.reservation;
        self.cpu.reservation = NO_RESERVATION;
        if reserved != addr {
            // The spec allows failing without touching memory, but a store to a page that may not
            // be written must still fault: probe with a compare-exchange that cannot succeed
            // only when the reservation matched, so here we simply fail.
            return Ok(1);
        }
        let ok = self
            .env
            .cmpxchg(addr, self.cpu.reservation_value, trunc(val, w), w)?;
        Ok(if ok { 0 } else { 1 })
    }

    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        if addr & (w.bytes() - 1) != 0 {
            return Err(Exception::new(Cause::StoreMisaligned, addr));
        }
        let old = self.env.amo(op, addr, val, w)?;
        Ok(sext_w(old, w))
    }

    fn fence(&mut self, kind: FenceKind) {
        match kind {
            FenceKind::Data => std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst),
            FenceKind::Instruction => self.env.fence_i(),
        }
    }

    fn csr(
        &mut self,
        csr: u16,
        op: CsrOp,
        src: u64,
        read: bool,
        write: bool,
    ) -> Result<u64, Exception> {
        // Writes to read-only CSRs (top two bits 11) are illegal, whatever the CSR.
        if write && csr >> 10 == 3 {
            return Err(Exception::new(Cause::IllegalInstruction, 0));
        }
        if (1..=3).contains(&csr) {
            self.env.fp_enabled()?;
        }
        match fp_csr(&mut self.cpu, csr, op, src, write) {
            Some(old) => Ok(old),
            None => {
                // The machine sees `instret` exact at this instruction (counters are CSRs).
                self.cpu.instret = self.cpu.instret.wrapping_add(self.idx);
                let r = self.env.csr(&mut self.cpu, csr, op, src, read, write);
                self.cpu.instret = self.cpu.instret.wrapping_sub(self.idx);
                r
            }
        }
    }

    #[inline(always)]
    fn call(&mut self, h: &'static Helper, a: u64, b: u64, c: u64) -> Result<u64, Exception> {
        let r = (h.f)(&mut self.cpu, a, b, c);
        if h.may_raise {
            if let Some(e) = self.cpu.take_pending() {
                return Err(e);
            }
        }
        Ok(r)
    }

    #[inline(always)]
    fn branch(&mut self, cond: u64, target: u64) {
        self.cpu.pc = if cond != 0 {
            target
        } else {
            self.pc.wrapping_add(self.len)
        };
    }

    #[inline(always)]
    fn jump(&mut self, target: u64) {
        self.cpu.pc = target;
        self.jumps[target_slot(self.pc, target)] = (self.pc, target);
    }

    fn trap(&mut self, cause: Cause, tval: u64) -> Exception {
        Exception::new(cause, tval)
    }

    fn system(&mut self, op: SystemOp, a: u64, b: u64) -> Result<(), Exception> {
        self.cpu.pc = self.pc.wrapping_add(self.len);
        self.env.system(&mut self.cpu, op, a, b)
    }

    #[inline(always)]
    fn fp_enabled(&mut self) -> Result<(), Exception> {
        self.env.fp_enabled()
    }
}

/// How control leaves an instruction of a decoded block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// On to the next instruction of the block (which is the next address, or the target of a
    /// direct jump that the block follows).
    Next,
    /// A conditional branch inside the block: not taken continues with the next instruction,
    /// taken leaves the block (its target is in `cpu.pc`).
    Branch,
}

/// One instruction of a decoded block.
pub struct Step<X> {
    pub pc: u64,
    pub d: Decoded<Interp<X>>,
    pub flow: Flow,
    /// How [`run_block`] dispatches it: a specialised handler that calls the instruction's
    /// semantic function directly (inlined), or the generic handler, through `d.sem`.
    pub kind: Kind,
    /// Whether a specialised load or store handler may access memory inline (the engine
    /// decoded it for an environment with [`Env::fast_memory`]).
    inline_mem: bool,
}

impl<X: Env> Step<X> {
    /// The step for `d` at `pc`, dispatched by its specialised handler when it has one.
    pub fn new(pc: u64, d: Decoded<Interp<X>>, flow: Flow) -> Self {
        Step {
            pc,
            d,
            flow,
            kind: Kind::of(d.name),
            inline_mem: false,
        }
    }
}

/// A pre-decoded block: a straight run of instructions that also continues through the targets
/// of direct jumps (`jal`) and the fall-through paths of conditional branches, so a hot loop is
/// one block that runs again without a lookup.
pub struct Block<X> {
    pub start: u64,
    /// Where execution continues after the last instruction when it does not set `pc` itself.
    pub end: u64,
    /// Each instruction with its address, in execution order.
    pub insns: Vec<Step<X>>,
    /// The last instruction sets `pc` itself (branch, jump, trap).
    pub terminated: bool,
    /// What [`run_block`] runs: one handler per instruction of `insns`, then the block's end.
    ops: Vec<Op<X>>,
}

impl<X: Env> Block<X> {
    /// The one-instruction block of `d` at `pc` (single-stepping: tracing, the debugger).
    pub fn single(pc: u64, d: Decoded<Interp<X>>) -> Self {
        Self::new(
            pc,
            pc.wrapping_add(u64::from(d.insn.len)),
            vec![Step::new(pc, d, Flow::Next)],
            d.ends_block,
        )
    }

    /// The block of `insns` starting at `start`; execution continues at `end` after the last
    /// instruction unless the block is `terminated` (its last instruction sets `pc`).
    pub fn new(start: u64, end: u64, insns: Vec<Step<X>>, terminated: bool) -> Self {
        let mut ops: Vec<Op<X>> = insns
            .iter()
            .enumerate()
            .map(|(i, s)| Op::of(s, i))
            .collect();
        // Taken branches (and the jump that ends the block) whose target is an instruction of
        // this block go on there directly (see `in_block`).
        for (i, s) in insns.iter().enumerate() {
            let opcode = s.d.insn.raw & 0x7f;
            let links = match opcode {
                0x63 => s.flow == Flow::Branch,
                0x6f => terminated && i + 1 == insns.len(),
                _ => false,
            };
            if links {
                let target = s.pc.wrapping_add(s.d.insn.imm as u64);
                if let Some(k) = insns.iter().position(|t| t.pc == target) {
                    ops[i].link = k as u32;
                }
            }
        }
        ops.push(Op {
            h: if terminated { end_kept } else { end_next },
            sem: crate::decode::illegal::<Interp<X>>,
            insn: Decoded::<Interp<X>>::illegal(0, 0, 2).insn,
            pc: end,
            flow: Flow::Next,
            link: NO_LINK,
            idx: insns.len() as u32,
        });
        Block {
            start,
            end,
            insns,
            terminated,
            ops,
        }
    }
}

/// How many instructions blocks run chained, at most, between two polls of an asynchronous
/// exit request ([`Env::EXITS_ASYNC`]): about 50 microseconds.
const EXIT_POLL_INSNS: u64 = 1 << 14;

/// Longest block the decoder builds.
pub const MAX_BLOCK_INSNS: usize = 64;
const JUMP_CACHE_SIZE: usize = 4096;

/// Statistics of the interpreter engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct InterpStats {
    pub blocks_decoded: u64,
    pub flushes: u64,
}

/// The interpreter engine: decode table plus block cache.
pub struct InterpEngine<X> {
    table: Table<Interp<X>>,
    /// Decoded blocks, in an arena indexed by `map` and the jump cache.
    blocks: Vec<Block<X>>,
    /// (pc, code context) -> index into `blocks`.
    map: HashMap<(u64, u64), u32>,
    /// Direct-mapped cache: guest pc and the ops of its block in `blocks`, for the context
    /// `jc_context`; pc `u64::MAX` is empty. Handlers read it too, to chain blocks.
    jump_cache: Vec<JcEntry<X>>,
    jc_context: u64,
    /// What empty jump cache entries point to: one op whose handler returns.
    stop_op: Box<[Op<X>]>,
    /// Every step goes through `Decoded::sem` (no specialised handlers); for checking that
    /// the two dispatches agree.
    generic_only: bool,
    pub stats: InterpStats,
}

impl<X: Env> Default for InterpEngine<X> {
    fn default() -> Self {
        Self::new()
    }
}

impl<X: Env> InterpEngine<X> {
    pub fn new() -> Self {
        let (stop_op, empty) = empty_jump_cache_entry();
        Self {
            table: crate::riscv::table(),
            blocks: Vec::new(),
            map: HashMap::default(),
            jump_cache: vec![empty; JUMP_CACHE_SIZE],
            jc_context: 0,
            stop_op,
            generic_only: false,
            stats: InterpStats::default(),
        }
    }

    /// Makes blocks decoded from now on dispatch every instruction through its semantic
    /// function pointer, never through a specialised handler (see [`Kind`]). Both run the same
    /// semantic functions; tests use this to check that the two dispatches agree.
    #[doc(hidden)]
    pub fn set_generic_only(&mut self, on: bool) {
        self.generic_only = on;
    }

    fn step(&self, pc: u64, d: Decoded<Interp<X>>, flow: Flow, inline_mem: bool) -> Step<X> {
        let mut s = Step::new(pc, d, flow);
        s.inline_mem = inline_mem;
        if self.generic_only {
            s.kind = Kind::Generic;
        }
        s
    }

    fn clear_jump_cache(&mut self) {
        let empty = JcEntry {
            pc: u64::MAX,
            ops: self.stop_op.as_ptr(),
        };
        self.jump_cache.iter_mut().for_each(|e| *e = empty);
    }

    /// Drops every decoded block (code changed).
    pub fn flush(&mut self) {
        self.blocks.clear();
        self.map.clear();
        self.clear_jump_cache();
        self.stats.flushes += 1;
    }

    /// Decodes the block at `pc`. A fetch fault on the first instruction is returned; a fault
    /// later ends the block before the instruction that could not be fetched.
    pub fn decode_block(&mut self, env: &mut X, pc: u64) -> Result<Block<X>, Exception> {
        let mut insns: Vec<Step<X>> = Vec::new();
        let mut at = pc;
        let inline_mem = env.fast_memory().is_some() || env.soft_tlb().is_some();
        let mut terminated = false;
        while insns.len() < MAX_BLOCK_INSNS {
            let lo = match env.fetch16(at) {
                Ok(v) => v,
                Err(e) if insns.is_empty() => return Err(e),
                Err(_) => break,
            };
            let d = match self.table.decode(lo, || env.fetch16(at.wrapping_add(2))) {
                Ok(d) => d,
                Err(DecodeError::Fetch(e)) if insns.is_empty() => return Err(e),
                Err(DecodeError::Fetch(_)) => break,
            };
            let here = at;
            at = at.wrapping_add(u64::from(d.insn.len));
            if !d.ends_block {
                insns.push(self.step(here, d, Flow::Next, inline_mem));
                continue;
            }
            // Forward direct jumps are followed and conditional branches continue on their
            // fall-through path, unless that address is already in the block (a loop). A
            // backward jump ends the block, so loop heads start blocks (the JIT's tiering
            // counts block starts; a block drifting through a loop would never get hot).
            let (flow, next) = match (d.insn.raw & 0x7f, d.name) {
                (_, "illegal") => (None, at),
                (0x6f, _) if d.insn.imm > 0 => {
                    (Some(Flow::Next), here.wrapping_add(d.insn.imm as u64))
                }
                (0x63, _) => (Some(Flow::Branch), at),
                _ => (None, at),
            };
            insns.push(self.step(here, d, flow.unwrap_or(Flow::Next), inline_mem));
            match flow {
                Some(_) if insns.len() < MAX_BLOCK_INSNS && !insns.iter().any(|s| s.pc == next) => {
                    at = next;
                }
                _ => {
                    terminated = true;
                    break;
                }
            }
        }
        self.stats.blocks_decoded += 1;
        Ok(Block::new(pc, at, insns, terminated))
    }

    /// The ops of the decoded block at `pc`, decoding it on a miss.
    #[inline(always)]
    fn lookup(&mut self, interp: &mut Interp<X>, pc: u64) -> Result<*const Op<X>, Exception> {
        let slot = jc_slot(pc);
        let e = self.jump_cache[slot];
        // (An empty entry's tag is an odd pc, but a guest can still set `pc` to one.)
        if e.pc == pc && pc != u64::MAX {
            return Ok(e.ops);
        }
        self.lookup_slow(interp, pc, slot)
    }

    #[inline(never)]
    fn lookup_slow(
        &mut self,
        interp: &mut Interp<X>,
        pc: u64,
        slot: usize,
    ) -> Result<*const Op<X>, Exception> {
        let key = (pc, self.jc_context);
        let idx = match self.map.get(&key) {
            Some(&i) => i,
            None => {
                interp.mem = interp.env.fast_memory().unwrap_or(FastMem::NONE);
                interp.tlb = interp.env.soft_tlb();
                let b = self.decode_block(&mut interp.env, pc)?;
                let i = self.blocks.len() as u32;
                self.blocks.push(b);
                self.map.insert(key, i);
                i
            }
        };
        // The ops live in their own allocation, which stays put while `blocks` grows; it is
        // freed only by `flush`, which also empties the jump cache.
        let ops: *const Op<X> = self.blocks[idx as usize].ops.as_ptr();
        self.jump_cache[slot] = JcEntry { pc, ops };
        Ok(ops)
    }

    /// Runs blocks until an exception (a syscall is `EcallFromU`), until at least `budget`
    /// instructions have retired or the environment asks to exit (returns `Ok(())` then).
    /// `cpu.pc` is precise on return: at the faulting instruction for an exception, otherwise
    /// at the next instruction.
    pub fn run(&mut self, interp: &mut Interp<X>, budget: u64) -> Result<(), Exception> {
        let stop_at = interp.cpu.instret.saturating_add(budget);
        interp.chain_jc = self.jump_cache.as_ptr();
        interp.mem = interp.env.fast_memory().unwrap_or(FastMem::NONE);
        interp.tlb = interp.env.soft_tlb();
        let r = self.run_chained(interp, stop_at);
        interp.chain_stop = 0;
        r
    }

    #[inline(always)]
    fn run_chained(&mut self, interp: &mut Interp<X>, stop_at: u64) -> Result<(), Exception> {
        // With optimisation, handlers tail-call each other, so a chain of blocks does not
        // grow the stack; without it, each block adds frames, so chains are kept short.
        // Chains also end every `EXIT_POLL_INSNS` instructions when exit requests are only
        // polled here (see `Env::EXITS_ASYNC`).
        let chain_max = match (cfg!(debug_assertions), X::EXITS_ASYNC) {
            (true, _) => 256,
            (false, true) => EXIT_POLL_INSNS,
            (false, false) => u64::MAX,
        };
        loop {
            if interp.env.take_code_flush() {
                self.flush();
            }
            if interp.env.exit_requested() {
                return Ok(());
            }
            let cx = interp.env.code_context();
            if cx != self.jc_context {
                self.clear_jump_cache();
                self.jc_context = cx;
            }
            let pc = interp.cpu.pc;
            let ops = self.lookup(interp, pc)?;
            interp.chain_cx = self.jc_context;
            interp.chain_stop = stop_at.min(interp.cpu.instret.saturating_add(chain_max));
            // SAFETY: `ops` is the op list of a block in `self.blocks` (from the jump cache or
            // just inserted), which nothing drops or changes before the next `flush`, and
            // `flush` runs only here, between blocks. Blocks reached by chaining come from
            // the same jump cache (`interp.chain_jc`), which `flush` empties.
            let r = unsafe { run_ops(interp, ops) };
            let exit = std::mem::take(&mut interp.chain_exit);
            r?;
            if exit || interp.cpu.instret >= stop_at {
                return Ok(());
            }
        }
    }
}

/// One jump cache entry: a block's start and its first op (`pc` `u64::MAX`: empty, and the
/// op is then the engine's stop op).
struct JcEntry<X> {
    pc: u64,
    ops: *const Op<X>,
}

impl<X> Clone for JcEntry<X> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<X> Copy for JcEntry<X> {}

#[inline(always)]
fn jc_slot(pc: u64) -> usize {
    ((pc >> 1) as usize) & (JUMP_CACHE_SIZE - 1)
}

/// Whether the block in jump cache entry `slot` may be entered by chaining (always, unless a
/// [`CountedChain`] runs: then if the entry has a credit left, which this takes).
#[inline(always)]
fn credit<X>(m: &mut Interp<X>, slot: usize) -> bool {
    if m.chain_left.is_null() {
        return true;
    }
    // SAFETY: `chain_left` is non-null only inside `CountedChain::run`, and then points to
    // its `JUMP_CACHE_SIZE` credits (`slot` is a `jc_slot`), which nothing else accesses
    // during the run.
    let left = unsafe { &mut *m.chain_left.add(slot) };
    if *left == 0 {
        return false;
    }
    *left -= 1;
    m.chain_runs += 1;
    true
}

/// Whether op `n` of a block, `op`, may loop back to op `k <= n` of it (see [`in_block`]):
/// always, unless a [`CountedChain`] runs. Then looping to the block's start enters it again,
/// which takes a credit as chaining to it would; looping to a later op is left to the engine
/// (which then counts and runs the block starting there, as it would without chaining).
#[inline(always)]
fn loop_credit<X>(m: &mut Interp<X>, op: *const Op<X>, n: usize, k: usize) -> bool {
    if m.chain_left.is_null() {
        return true;
    }
    if k != 0 {
        return false;
    }
    // SAFETY: `op` is op `n` of its block's op list, so `op - n` is its first op, whose
    // address is the block's.
    let pc = at(unsafe { op.sub(n) }).pc;
    let slot = jc_slot(pc);
    // SAFETY: `chain_left` is non-null only inside `CountedChain::run`, and then `chain_jc`
    // points to its jump cache of `JUMP_CACHE_SIZE` entries.
    unsafe { (*m.chain_jc.add(slot)).pc == pc && credit(m, slot) }
}

/// A block cached in a [`CountedChain`] was entered this many times by chaining since it was
/// put there ([`CountedChain::put`]) or last asked about ([`CountedChain::take`]), and has
/// this record number (the engine's).
pub(crate) struct Chained {
    pub record: u32,
    pub runs: u32,
}

/// Chaining of interpreted blocks for an engine that counts how often each block runs (the
/// JIT engine's tiering, which translates a block once its count reaches a threshold): a jump
/// cache as [`InterpEngine`]'s, where each entry also holds how many more times its block may
/// be entered by chaining (or by looping in it) before the run returns to the engine, which
/// then counts the runs it missed ([`CountedChain::take`]) and sees the count reach the
/// threshold at the same run as without chaining.
pub(crate) struct CountedChain<X> {
    entries: Box<[JcEntry<X>]>,
    /// Per entry: credits left (read and taken by the handlers, see [`credit`]).
    left: Box<[u32]>,
    /// Per entry: the block's record number, and the credits it was given.
    given: Box<[(u32, u32)]>,
    /// The entry of no block (leads to the stop op of `_stop_op`).
    empty: JcEntry<X>,
    /// Owns the stop op `empty` points to (only read through it).
    _stop_op: Box<[Op<X>]>,
}

impl<X: Env> CountedChain<X> {
    pub fn new() -> Self {
        let (stop_op, empty) = empty_jump_cache_entry();
        Self {
            entries: vec![empty; JUMP_CACHE_SIZE].into_boxed_slice(),
            left: vec![0; JUMP_CACHE_SIZE].into_boxed_slice(),
            given: vec![(0, 0); JUMP_CACHE_SIZE].into_boxed_slice(),
            empty,
            _stop_op: stop_op,
        }
    }

    /// Takes the entry of `slot` out, with what it counted.
    fn take_slot(&mut self, slot: usize) -> Option<Chained> {
        if self.entries[slot].pc == u64::MAX {
            return None;
        }
        let (record, given) = self.given[slot];
        let runs = given.saturating_sub(self.left[slot]);
        self.entries[slot] = self.empty;
        self.left[slot] = 0;
        Some(Chained { record, runs })
    }

    /// Takes the block at `pc` out of the cache, with the runs it counted (nothing if it is
    /// not cached): before the engine counts a run itself, or when the block is translated.
    #[inline]
    pub fn take(&mut self, pc: u64) -> Option<Chained> {
        let slot = jc_slot(pc);
        if self.entries[slot].pc != pc {
            return None;
        }
        self.take_slot(slot)
    }

    /// Empties the cache (the blocks' code changed, or the code context), calling `f` with
    /// what each entry counted.
    pub fn clear(&mut self, mut f: impl FnMut(Chained)) {
        for slot in 0..JUMP_CACHE_SIZE {
            if let Some(c) = self.take_slot(slot) {
                f(c);
            }
        }
    }

    /// Caches `block`, the engine's record `record`, which may be entered `credits` times by
    /// chaining; returns what the entry it replaces counted.
    ///
    /// # Safety
    ///
    /// `block` must live, unchanged, until the cache is told otherwise: until it is taken out
    /// of the cache, or the cache emptied ([`CountedChain::take`], [`CountedChain::clear`]).
    pub unsafe fn put(&mut self, block: &Block<X>, record: u32, credits: u32) -> Option<Chained> {
        let slot = jc_slot(block.start);
        let old = self.take_slot(slot);
        self.entries[slot] = JcEntry {
            pc: block.start,
            ops: block.ops.as_ptr(),
        };
        self.left[slot] = credits;
        self.given[slot] = (record, credits);
        old
    }

    /// Runs `block` and the cached blocks it chains to (within the cache's credits) until
    /// `stop_at` instructions have retired, code changes, an exit is asked for or the code
    /// context is no longer `cx` (or a block is not cached, or has no credit). Returns the
    /// result, whether an exit request was seen (and so consumed, see [`may_go_on`]), and
    /// the number of blocks entered by chaining or looping.
    pub fn run(
        &mut self,
        interp: &mut Interp<X>,
        block: &Block<X>,
        stop_at: u64,
        cx: u64,
    ) -> (Result<(), Exception>, bool, u64) {
        let chain_max = match (cfg!(debug_assertions), X::EXITS_ASYNC) {
            (true, _) => 256,
            (false, true) => EXIT_POLL_INSNS,
            (false, false) => u64::MAX,
        };
        interp.chain_jc = self.entries.as_ptr();
        interp.chain_left = self.left.as_mut_ptr();
        interp.chain_cx = cx;
        interp.chain_runs = 0;
        interp.chain_stop = stop_at.min(interp.cpu.instret.saturating_add(chain_max));
        // SAFETY: the block's first op (every block has at least its end op); `block` outlives
        // the call, and so do the blocks cached here (see `put`), which handlers chain to.
        let r = unsafe { run_ops(interp, block.ops.as_ptr()) };
        interp.chain_stop = 0;
        interp.chain_left = std::ptr::null_mut();
        (r, std::mem::take(&mut interp.chain_exit), interp.chain_runs)
    }
}

/// Leaves a block whose last instruction has set `cpu.pc` (and whose instructions are counted
/// in `instret`): goes on with the block at `cpu.pc` if the jump cache has it and the run may
/// go on (budget left, no code change, no exit request, same code context), else returns to
/// [`InterpEngine::run`], which checks the same and looks the block up. Chaining makes no
/// difference to what runs, only to how fast it gets there.
#[inline(always)]
fn chain<X: Env>(m: &mut Interp<X>) -> Result<(), Exception> {
    let mut ops: *const Op<X> = m.stop_op.as_ptr();
    if may_go_on(m, m.cpu.instret) {
        let pc = m.cpu.pc;
        // SAFETY: `chain_stop != 0` only inside `InterpEngine::run` or `CountedChain::run`,
        // and then `chain_jc` points to its jump cache of `JUMP_CACHE_SIZE` entries, which is
        // not resized.
        let slot = jc_slot(pc);
        let e = unsafe { *m.chain_jc.add(slot) };
        if e.pc == pc && credit(m, slot) {
            ops = e.ops;
        }
    }
    // One tail call on every path (the stop op returns), so that the compiler turns it into
    // a jump and chained blocks do not grow the stack.
    // SAFETY: a jump cache entry holds the first op of a live block or the engine's stop op
    // (see `InterpEngine::run`); `m.stop_op` lives as long as `m`.
    unsafe { run_ops(m, ops) }
}

/// Whether a run that has retired `instret` instructions may go on to another block (or
/// loop in its block) without returning to [`InterpEngine::run`]: budget left, no code
/// change, no exit request, the same code context. Asking consumes an exit request, so a
/// request seen is noted in `chain_exit`.
#[inline(always)]
fn may_go_on<X: Env>(m: &mut Interp<X>, instret: u64) -> bool {
    instret < m.chain_stop
        && !m.env.code_flush_pending()
        && (X::EXITS_ASYNC || {
            m.chain_exit = m.env.exit_requested();
            !m.chain_exit
        })
        && m.env.code_context() == m.chain_cx
}

/// A taken branch or jump, `op` (op `n` of its block, `n` its [`Op::idx`]), whose target is
/// op `k` of the same block (its [`Op::link`]; `cpu.pc` is already the target): goes on there
/// without leaving the block.
/// Forward, that skips ops; backward, it is a loop, which goes on only when the run may (see
/// [`may_go_on`]), and otherwise leaves the block like any taken branch. While a block runs,
/// `cpu.instret` plus the index of the op in flight is the number of instructions retired
/// (the end op, [`fault`] and CSR accesses add the index); going on at `k` keeps that so.
#[inline(always)]
fn in_block<X: Env>(m: &mut Interp<X>, op: *const Op<X>, k: usize) -> Result<(), Exception> {
    let n = at(op).idx as usize;
    let retired = m.cpu.instret.wrapping_add(n as u64 + 1);
    let go = k > n || (may_go_on(m, retired) && loop_credit(m, op, n, k));
    let to: *const Op<X> = if go {
        m.cpu.instret = retired.wrapping_sub(k as u64);
        // SAFETY: `op` is op `n` of its block's op list and `k` indexes an instruction op of
        // the same list (`Op::link`), so `op - n + k` is inside it.
        unsafe { op.sub(n).add(k) }
    } else {
        m.cpu.instret = retired;
        m.stop_op.as_ptr()
    };
    // One tail call on every path (as in `chain`), so that loops do not grow the stack.
    // SAFETY: `to` is an op of the running block or `m.stop_op`, which lives as long as `m`.
    unsafe { run_ops(m, to) }
}

/// The handler of the stop op: returns to [`InterpEngine::run`].
fn stop<X: Env>(_: &mut Interp<X>, _: *const Op<X>) -> Result<(), Exception> {
    Ok(())
}

/// The handler of one instruction of a block: runs the op it is given (a pointer into its
/// block's op list, so that going on to the next op is a pointer increment, with no index
/// arithmetic), then (as a tail call) the next handler, up to the block's end op. A handler
/// returns when the block is left: at its end, by a taken branch, or with an exception.
/// Handlers are only called (by [`run_ops`]) with an op of a live block's op list or a stop
/// op.
type Handler<X> = fn(&mut Interp<X>, *const Op<X>) -> Result<(), Exception>;

/// One pre-decoded instruction as the dispatch runs it (built from a [`Step`]). A block's ops
/// are built only by [`Block::new`]: one per instruction, then one end op, whose handler
/// returns instead of running a next op.
#[repr(align(64))]
struct Op<X> {
    h: Handler<X>,
    /// The semantic function (called by the generic handler).
    sem: Sem<Interp<X>>,
    insn: Insn,
    /// The instruction's address; for the end op, where execution continues.
    pc: u64,
    flow: Flow,
    /// For a conditional branch, or the jump that ends a block: the index in the block's ops
    /// of the instruction at its target, when the block holds it ([`NO_LINK`] otherwise).
    link: u32,
    /// The op's index in its block's ops (instructions before it in the block; for the end
    /// op, the block's instruction count).
    idx: u32,
}

/// [`Op::link`] of an op whose target is not in its block (or that has none).
const NO_LINK: u32 = u32::MAX;

impl<X: Env> Op<X> {
    /// An op whose handler returns (see [`chain`]).
    fn stop() -> Self {
        Op {
            h: stop::<X>,
            sem: crate::decode::illegal::<Interp<X>>,
            insn: Decoded::<Interp<X>>::illegal(0, 0, 2).insn,
            pc: 0,
            flow: Flow::Next,
            link: NO_LINK,
            idx: 0,
        }
    }

    /// The op of `s`, the instruction at index `idx` of its block.
    fn of(s: &Step<X>, idx: usize) -> Self {
        Op {
            h: handler(s.kind, s.inline_mem, s.d.insn.rd),
            sem: s.d.sem,
            insn: s.d.insn,
            pc: s.pc,
            flow: s.flow,
            link: NO_LINK,
            idx: idx as u32,
        }
    }
}

/// The op a handler runs.
#[inline(always)]
fn at<'a, X>(op: *const Op<X>) -> &'a Op<X> {
    // SAFETY: handlers are only called by `run_ops` with an op of a live block's op list
    // (the block's first op, the op after an instruction op, which is at most the end op, or
    // an instruction op of the same list for `in_block`) or a stop op; op lists are never
    // changed after `Block::new` built them and live until the engine's `flush`, which runs
    // only between runs.
    unsafe { &*op }
}

/// Runs the handler after `op`, an instruction op (not the end op): the op after it is then
/// in the same list, as a block's ops end with the end op, whose handler does not come here.
#[inline(always)]
fn next<X: Env>(m: &mut Interp<X>, op: *const Op<X>) -> Result<(), Exception> {
    // SAFETY: see above: `op + 1` is at most the block's end op.
    unsafe { run_ops(m, op.add(1)) }
}

/// The end of a block whose last instruction does not set `pc`: continue at the op's `pc`.
fn end_next<X: Env>(m: &mut Interp<X>, op: *const Op<X>) -> Result<(), Exception> {
    let op = at(op);
    m.cpu.pc = op.pc;
    m.cpu.instret = m.cpu.instret.wrapping_add(u64::from(op.idx));
    chain(m)
}

/// The end of a block whose last instruction set `pc`.
fn end_kept<X: Env>(m: &mut Interp<X>, op: *const Op<X>) -> Result<(), Exception> {
    m.cpu.instret = m.cpu.instret.wrapping_add(u64::from(at(op).idx));
    chain(m)
}

/// Any instruction, through its semantic function pointer.
fn generic<X: Env>(m: &mut Interp<X>, p: *const Op<X>) -> Result<(), Exception> {
    let op = at(p);
    let n = op.idx as usize;
    m.pc = op.pc;
    m.len = u64::from(op.insn.len);
    m.idx = n as u64;
    if let Err(e) = (op.sem)(m, &op.insn) {
        return Err(fault(m, op, n, e));
    }
    if op.flow == Flow::Branch && m.cpu.pc != op.pc.wrapping_add(m.len) {
        // A taken branch inside the block leaves it.
        m.cpu.instret = m.cpu.instret.wrapping_add(n as u64 + 1);
        return chain(m);
    }
    next(m, p)
}

/// A `plain` instruction whose destination is `x0`: it has no effect (a `nop` or a HINT).
fn nop<X: Env>(m: &mut Interp<X>, p: *const Op<X>) -> Result<(), Exception> {
    next(m, p)
}

/// Executes one decoded block. On an exception, `cpu.pc` is the faulting instruction's address
/// and `instret` counts the instructions before it.
#[inline(always)]
pub fn run_block<X: Env>(interp: &mut Interp<X>, block: &Block<X>) -> Result<(), Exception> {
    // SAFETY: the block's first op (every block has at least its end op); `block` outlives
    // the call.
    unsafe { run_ops(interp, block.ops.as_ptr()) }
}

/// Runs the handler of `op` (and so the rest of its block and, inside
/// [`InterpEngine::run`], the blocks chained after it).
///
/// # Safety
///
/// `op` points to an op of a block's op list that lives until the call returns (or to a stop
/// op): a block's first op, or any op its handlers go on to.
#[inline(always)]
unsafe fn run_ops<X: Env>(interp: &mut Interp<X>, op: *const Op<X>) -> Result<(), Exception> {
    (at(op).h)(interp, op)
}

/// Specialised dispatch: [`Kind`] names the instructions whose semantic functions have a
/// handler of their own, which calls them directly (so the compiler inlines them, drops the
/// exception check of those that cannot fault and the `pc`/`len` stores of those that do not
/// read them); every other instruction runs in the generic handler, through its table entry's
/// `sem` pointer. The semantic functions are the decode table's own (`riscv::rvi`), chosen by
/// the table line's name, so each meaning is still written once. How a handler prepares the
/// emitter:
/// * `plain`: the semantics read neither `pc()` nor `insn_len()`, cannot fault and only write
///   `rd` (so with `rd = x0` the instruction does nothing: see `handler`);
/// * `load`, `store`: memory accesses, inline when the environment allows (see `InlineMem`);
/// * `at_pc`: they read them (links, pc-relative values);
/// * `branch`: a conditional branch; taken, it goes on at its target in the block (see
///   [`in_block`]) or leaves the block;
/// * `jump`: `jal`, which also goes on at its target when that is in the block (a block
///   ending with a jump back into itself is a loop).
macro_rules! specialised {
    ($($kind:ident = $name:literal => $how:ident $sem:path;)*) => {
        /// How [`run_block`] dispatches a step (see [`Step::kind`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Kind {
            /// Through the semantic function pointer of the decoded instruction.
            Generic,
            $($kind,)*
        }

        impl Kind {
            /// The table lines that have a specialised handler.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The specialised handler for the table line named `name`, if there is one.
            pub fn of(name: &str) -> Kind {
                match name {
                    $($name => Kind::$kind,)*
                    _ => Kind::Generic,
                }
            }
        }

        /// The handler of kind `K` (a `Kind` as `u8`): one function per kind (two for loads
        /// and stores: with and without inline memory access, `INLINE`).
        fn special<X: Env, const K: u8, const INLINE: bool>(
            m: &mut Interp<X>,
            p: *const Op<X>,
        ) -> Result<(), Exception> {
            let op = at(p);
            $(
                if K == Kind::$kind as u8 {
                    specialised!(@$how m, p, op, INLINE, $sem);
                }
            )*
            next(m, p)
        }

        /// The handler of an instruction of kind `kind` whose `rd` field is `rd`.
        fn handler<X: Env>(kind: Kind, inline_mem: bool, rd: u8) -> Handler<X> {
            match kind {
                $(Kind::$kind => specialised!(@handler $how, X, Kind::$kind, inline_mem, rd),)*
                Kind::Generic => generic::<X>,
            }
        }
    };
    (@handler store, $x:ident, $kind:expr, $inline:ident, $rd:ident) => {
        if $inline {
            special::<$x, { $kind as u8 }, true>
        } else {
            special::<$x, { $kind as u8 }, false>
        }
    };
    (@handler load, $x:ident, $kind:expr, $inline:ident, $rd:ident) => {
        // A load to `x0` (rare) still accesses memory, and may fault: generic, so that the
        // specialised handler's `InlineMem` never sees `x0` as a destination.
        if $rd == 0 {
            generic::<$x>
        } else {
            specialised!(@handler store, $x, $kind, $inline, $rd)
        }
    };
    (@handler plain, $x:ident, $kind:expr, $inline:ident, $rd:ident) => {
        // Writing `x0` is all such an instruction would do.
        if $rd == 0 {
            nop::<$x>
        } else {
            special::<$x, { $kind as u8 }, false>
        }
    };
    (@handler $how:ident, $x:ident, $kind:expr, $inline:ident, $rd:ident) => {
        special::<$x, { $kind as u8 }, false>
    };
    (@load $($t:tt)*) => { specialised!(@mem $($t)*) };
    (@store $($t:tt)*) => { specialised!(@mem $($t)*) };
    (@mem $m:ident, $p:ident, $op:ident, $inline:ident, $sem:path) => {{
        if $inline {
            if $sem(&mut InlineMem($m), &$op.insn).is_err() {
                // Not inline: again, through the environment (see `InlineMem`).
                return generic($m, $p);
            }
        } else if let Err(e) = $sem($m, &$op.insn) {
            return Err(fault($m, $op, $op.idx as usize, e));
        }
    }};
    (@plain $m:ident, $p:ident, $op:ident, $inline:ident, $sem:path) => {{
        // `rd` is not `x0` (see `handler`).
        if let Err(e) = $sem(&mut InlineMem($m), &$op.insn) {
            return Err(fault($m, $op, $op.idx as usize, e));
        }
    }};
    (@at_pc $m:ident, $p:ident, $op:ident, $inline:ident, $sem:path) => {{
        $m.pc = $op.pc;
        $m.len = u64::from($op.insn.len);
        if let Err(e) = $sem($m, &$op.insn) {
            return Err(fault($m, $op, $op.idx as usize, e));
        }
    }};
    (@branch $m:ident, $p:ident, $op:ident, $inline:ident, $sem:path) => {{
        $m.pc = $op.pc;
        $m.len = u64::from($op.insn.len);
        if let Err(e) = $sem($m, &$op.insn) {
            return Err(fault($m, $op, $op.idx as usize, e));
        }
        if $op.flow == Flow::Branch && $m.cpu.pc != $op.pc.wrapping_add($m.len) {
            // Taken: on to its target in the block, or out of the block.
            if $op.link != NO_LINK {
                return in_block($m, $p, $op.link as usize);
            }
            $m.cpu.instret = $m.cpu.instret.wrapping_add(u64::from($op.idx) + 1);
            return chain($m);
        }
    }};
    (@jump $m:ident, $p:ident, $op:ident, $inline:ident, $sem:path) => {{
        $m.pc = $op.pc;
        $m.len = u64::from($op.insn.len);
        if let Err(e) = $sem($m, &$op.insn) {
            return Err(fault($m, $op, $op.idx as usize, e));
        }
        // The jump that ends a block, to an instruction of the block: a loop.
        if $op.link != NO_LINK {
            return in_block($m, $p, $op.link as usize);
        }
    }};
}
specialised! {
    Lui = "lui" => plain rvi::lui;
    Auipc = "auipc" => at_pc rvi::auipc;
    Jal = "jal" => jump rvi::jal;
    Jalr = "jalr" => at_pc rvi::jalr;
    Beq = "beq" => branch rvi::beq;
    Bne = "bne" => branch rvi::bne;
    Blt = "blt" => branch rvi::blt;
    Bge = "bge" => branch rvi::bge;
    Bltu = "bltu" => branch rvi::bltu;
    Bgeu = "bgeu" => branch rvi::bgeu;
    Lb = "lb" => load rvi::lb;
    Lh = "lh" => load rvi::lh;
    Lw = "lw" => load rvi::lw;
    Ld = "ld" => load rvi::ld;
    Lbu = "lbu" => load rvi::lbu;
    Lhu = "lhu" => load rvi::lhu;
    Lwu = "lwu" => load rvi::lwu;
    Sb = "sb" => store rvi::sb;
    Sh = "sh" => store rvi::sh;
    Sw = "sw" => store rvi::sw;
    Sd = "sd" => store rvi::sd;
    Addi = "addi" => plain rvi::addi;
    Slti = "slti" => plain rvi::slti;
    Sltiu = "sltiu" => plain rvi::sltiu;
    Xori = "xori" => plain rvi::xori;
    Ori = "ori" => plain rvi::ori;
    Andi = "andi" => plain rvi::andi;
    Slli = "slli" => plain rvi::slli;
    Srli = "srli" => plain rvi::srli;
    Srai = "srai" => plain rvi::srai;
    Add = "add" => plain rvi::add;
    Sub = "sub" => plain rvi::sub;
    Sll = "sll" => plain rvi::sll;
    Slt = "slt" => plain rvi::slt;
    Sltu = "sltu" => plain rvi::sltu;
    Xor = "xor" => plain rvi::xor;
    Srl = "srl" => plain rvi::srl;
    Sra = "sra" => plain rvi::sra;
    Or = "or" => plain rvi::or;
    And = "and" => plain rvi::and;
    Addiw = "addiw" => plain rvi::addiw;
    Slliw = "slliw" => plain rvi::slliw;
    Srliw = "srliw" => plain rvi::srliw;
    Sraiw = "sraiw" => plain rvi::sraiw;
    Addw = "addw" => plain rvi::addw;
    Subw = "subw" => plain rvi::subw;
    Sllw = "sllw" => plain rvi::sllw;
    Srlw = "srlw" => plain rvi::srlw;
    Sraw = "sraw" => plain rvi::sraw;
}

/// Completes an exception raised by `op`, the `n`th instruction of a block: the trap value
/// of an illegal instruction, the precise `pc` and `instret`.
#[cold]
#[inline(never)]
fn fault<X>(interp: &mut Interp<X>, op: &Op<X>, n: usize, mut e: Exception) -> Exception {
    // Exceptions raised below the semantics (CSR accesses, helpers) do not know the
    // instruction; illegal-instruction traps report its bits as the trap value.
    if e.cause == Cause::IllegalInstruction && e.tval == 0 {
        e.tval = op.insn.bits();
    }
    interp.cpu.pc = op.pc;
    interp.cpu.instret = interp.cpu.instret.wrapping_add(n as u64);
    e
}
