//! One privileged RV64GC hart with M, S and U modes: the CSR file, trap entry and return,
//! interrupts, and the memory path through Sv39/Sv48 (RISC-V Privileged ISA 20211203, chapters 2,
//! 3 and 4; Sv39 and Sv48).
//!
//! The hart is the interpreter's [`Env`]: the unprivileged semantics run against it, CSR
//! instructions and `mret`/`sret`/`wfi`/`sfence.vma` reach it through `Env::csr` and
//! `Env::system`, and exceptions come back to the run loop (`super::Machine`), which delivers
//! them with [`Hart::take_trap`]. Physical memory protection registers exist (WARL, 4-byte
//! grain) but are not enforced.
//!
//! Decoded and translated code is cached by virtual pc. The hart remembers which virtual pages
//! code was fetched from since the last code flush, in which code context (U or S with
//! translation on, or untranslated: [`Hart::code_context`], which the engines key their blocks
//! by) and which physical pages those are, so that it asks the engine to drop its code only
//! when that code may be stale: `fence.i` after a store to a page code was fetched from
//! (self-modifying code: fetches see stores only after `fence.i`, unprivileged ISA section
//! 3.3), or `sfence.vma` or a `satp` write after which a code page no longer maps to the same
//! physical page with execute permission in its context.

use translator::emit::{AmoOp, CsrOp, SystemOp, Width};
use translator::interp::{csr_combine, Env};
use translator::{Cause, CpuState, Exception, NO_RESERVATION};

use std::collections::HashMap;

use super::bus::Bus;
use super::mmu::{Access, Context, Tlb};
use crate::devices::{UART0_BASE, UART0_SIZE};

/// Privilege levels, numbered as in `mstatus.MPP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priv {
    U = 0,
    S = 1,
    M = 3,
}

impl Priv {
    fn from_bits(b: u64) -> Priv {
        match b & 3 {
            0 => Priv::U,
            1 => Priv::S,
            _ => Priv::M,
        }
    }
}

/// What misaligned loads and stores do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Misaligned {
    /// Raise address-misaligned exceptions with the address as `xtval`.
    #[default]
    Trap,
    /// Complete them (byte by byte, each byte translated).
    Emulate,
}

// mstatus fields.
pub const MSTATUS_SIE: u64 = 1 << 1;
pub const MSTATUS_MIE: u64 = 1 << 3;
pub const MSTATUS_SPIE: u64 = 1 << 5;
pub const MSTATUS_MPIE: u64 = 1 << 7;
pub const MSTATUS_SPP: u64 = 1 << 8;
pub const MSTATUS_MPP: u64 = 3 << 11;
pub const MSTATUS_FS: u64 = 3 << 13;
pub const MSTATUS_MPRV: u64 = 1 << 17;
pub const MSTATUS_SUM: u64 = 1 << 18;
pub const MSTATUS_MXR: u64 = 1 << 19;
pub const MSTATUS_TVM: u64 = 1 << 20;
pub const MSTATUS_TW: u64 = 1 << 21;
pub const MSTATUS_TSR: u64 = 1 << 22;
/// UXL = SXL = 2 (64-bit), read-only.
const MSTATUS_XL: u64 = 0xa_0000_0000;
const MSTATUS_SD: u64 = 1 << 63;
const MSTATUS_WRITABLE: u64 = MSTATUS_SIE
    | MSTATUS_MIE
    | MSTATUS_SPIE
    | MSTATUS_MPIE
    | MSTATUS_SPP
    | MSTATUS_MPP
    | MSTATUS_FS
    | MSTATUS_MPRV
    | MSTATUS_SUM
    | MSTATUS_MXR
    | MSTATUS_TVM
    | MSTATUS_TW
    | MSTATUS_TSR;
const SSTATUS_WRITABLE: u64 =
    MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;
const SSTATUS_VISIBLE: u64 = SSTATUS_WRITABLE | (3 << 15) | (3 << 32) | MSTATUS_SD;

/// RV64 with I, M, A, F, D, C, S and U.
pub const MISA: u64 = 2 << 62
    | 1 << 0 // A
    | 1 << 2 // C
    | 1 << 3 // D
    | 1 << 5 // F
    | 1 << 8 // I
    | 1 << 12 // M
    | 1 << 18 // S
    | 1 << 20; // U

// Interrupt bits (mip/mie).
pub const IRQ_SSI: u64 = 1;
pub const IRQ_MSI: u64 = 3;
pub const IRQ_STI: u64 = 5;
pub const IRQ_MTI: u64 = 7;
pub const IRQ_SEI: u64 = 9;
pub const IRQ_MEI: u64 = 11;
const MIE_WRITABLE: u64 = 0xaaa;
/// Bits of mip that software can write (in M-mode): SSIP, STIP, SEIP.
const MIP_WRITABLE: u64 = 0x222;
/// menvcfg.STCE: `stimecmp` is accessible from S-mode and drives mip.STIP (Sstc).
pub const MENVCFG_STCE: u64 = 1 << 63;
const MIDELEG_WRITABLE: u64 = 0x222;
/// Exceptions that can be delegated: all but ecall from M (11) and the reserved 10 and 14.
const MEDELEG_WRITABLE: u64 = 0xb3ff;
/// Interrupts in priority order (section 3.1.9).
const IRQ_PRIORITY: [u64; 6] = [IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI];

const INTERRUPT: u64 = 1 << 63;

/// The privileged state of the hart plus its bus. CPU registers live in [`CpuState`].
pub struct Hart {
    pub bus: Bus,
    pub privilege: Priv,
    pub misaligned: Misaligned,
    mstatus: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mie: u64,
    /// The software-writable bits of mip (SSIP, STIP, SEIP); MSIP and MTIP come from the CLINT.
    mip_sw: u64,
    pub mtvec: u64,
    pub stvec: u64,
    pub mepc: u64,
    pub sepc: u64,
    pub mcause: u64,
    pub scause: u64,
    pub mtval: u64,
    pub stval: u64,
    pub mscratch: u64,
    pub sscratch: u64,
    pub mcounteren: u64,
    pub scounteren: u64,
    pub mcountinhibit: u64,
    /// menvcfg: only STCE (Sstc's S-mode timer compare enable) is implemented.
    pub menvcfg: u64,
    pub satp: u64,
    pub pmpcfg: [u64; 2],
    pub pmpaddr: [u64; 16],
    /// minstret = cpu.instret + instret_offset (while not inhibited).
    instret_offset: u64,
    /// mcycle = cpu.instret + cycle_offset (one cycle per instruction).
    cycle_offset: u64,
    /// Values held while mcountinhibit.IR / .CY are set.
    instret_frozen: u64,
    cycle_frozen: u64,
    pub tlb: Tlb,
    /// Every cached block must go (taken by [`Env::take_code_flush`]).
    code_flush: bool,
    /// Virtual pages (page number, code context) whose cached blocks must go, the rest staying
    /// valid (taken by [`Env::take_code_invalidation`]): pages a store changed before a
    /// `fence.i`, pages an `sfence.vma` or `satp` write remapped.
    stale_code: Vec<(u64, u64)>,
    /// (virtual page, code context) fetched from since its cached code was last dropped -> its
    /// physical page (the same page when translation was off). Every page engines hold
    /// decoded code of is here.
    code_pages: HashMap<(u64, u64), u64>,
    /// The last entry added to `code_pages` (decoding fetches the same page many times).
    last_code_page: Option<(u64, u64, u64)>,
    /// One bit per RAM page some entry of `code_pages` maps to (cleared when its cached code
    /// is dropped; may stay set after a remapped page's entry went, which only costs its
    /// stores the slow path).
    code_ram: Vec<u64>,
    /// Physical page numbers of code pages stores hit since their code was last dropped
    /// (the next `fence.i` drops it).
    dirty_code: Vec<u64>,
    /// Whole code flushes requested, partial invalidations (the cached code of some pages
    /// dropped, the rest kept), and the flushes avoided (sfence.vma, satp writes or fence.i
    /// after which every cached block was still valid).
    pub code_flushes: u64,
    pub code_invalidations: u64,
    pub code_flushes_avoided: u64,
    /// Return to the run loop before the next block (interrupts may be deliverable).
    stop: bool,
    /// Set by `wfi`, cleared by the run loop.
    pub waiting: bool,
}

fn illegal() -> Exception {
    Exception::new(Cause::IllegalInstruction, 0)
}

impl Hart {
    pub fn new(bus: Bus) -> Self {
        let ram_pages = bus.ram_size() >> 12;
        Self {
            bus,
            privilege: Priv::M,
            misaligned: Misaligned::Trap,
            mstatus: 0,
            medeleg: 0,
            mideleg: 0,
            mie: 0,
            mip_sw: 0,
            mtvec: 0,
            stvec: 0,
            mepc: 0,
            sepc: 0,
            mcause: 0,
            scause: 0,
            mtval: 0,
            stval: 0,
            mscratch: 0,
            sscratch: 0,
            mcounteren: 0,
            scounteren: 0,
            mcountinhibit: 0,
            menvcfg: 0,
            satp: 0,
            pmpcfg: [0; 2],
            pmpaddr: [0; 16],
            instret_offset: 0,
            cycle_offset: 0,
            instret_frozen: 0,
            cycle_frozen: 0,
            code_flush: false,
            stale_code: Vec::new(),
            code_pages: HashMap::new(),
            last_code_page: None,
            code_ram: vec![0; ram_pages.div_ceil(64) as usize],
            dirty_code: Vec::new(),
            code_flushes: 0,
            code_invalidations: 0,
            code_flushes_avoided: 0,
            tlb: Tlb::default(),
            stop: false,
            waiting: false,
        }
    }

    /// `mstatus` as software reads it (SD summarises FS; UXL/SXL are 64-bit).
    pub fn mstatus(&self) -> u64 {
        let sd = if self.mstatus & MSTATUS_FS == MSTATUS_FS {
            MSTATUS_SD
        } else {
            0
        };
        self.mstatus | MSTATUS_XL | sd
    }

    /// Sets the raw `mstatus` fields (WARL-legalised like a CSR write).
    pub fn set_mstatus(&mut self, v: u64) {
        let mut v = v & MSTATUS_WRITABLE;
        // MPP = 2 is reserved: keep the old value.
        if v & MSTATUS_MPP == 2 << 11 {
            v = (v & !MSTATUS_MPP) | (self.mstatus & MSTATUS_MPP);
        }
        self.mstatus = v;
        // MPRV/MPP/SUM/MXR change which TLB entries apply (they are tagged with them); MIE/SIE
        // may unmask an interrupt.
        self.select_fast_tlb();
        self.stop = true;
    }

    /// Makes the inline TLB's tables those of the current data-access context (after any
    /// change of privilege, `mstatus` or `satp`).
    fn select_fast_tlb(&mut self) {
        let key = match self.translation(Access::Load) {
            None => super::fasttlb::UNTRANSLATED,
            Some(c) => usize::from(c.key()),
        };
        self.tlb.fast.select(key);
    }

    /// `mip` as software reads it: the CLINT's MSIP and MTIP plus the writable bits.
    pub fn mip(&self) -> u64 {
        let clint = &self.bus.clint;
        let mut v = self.mip_sw;
        if clint.msip {
            v |= 1 << IRQ_MSI;
        }
        let mtime = clint.mtime();
        if mtime >= clint.mtimecmp {
            v |= 1 << IRQ_MTI;
        }
        if self.menvcfg & MENVCFG_STCE != 0 {
            // Sstc: STIP is read-only and is the comparison of time with stimecmp.
            v &= !(1 << IRQ_STI);
            if mtime >= clint.stimecmp {
                v |= 1 << IRQ_STI;
            }
        }
        if let Some(b) = &self.bus.board {
            let (m, s) = b.external_irqs();
            v |= u64::from(m) << IRQ_MEI | u64::from(s) << IRQ_SEI;
        }
        v
    }

    pub fn set_privilege(&mut self, p: Priv) {
        // Translations depend on it, but TLB entries are tagged with the effective privilege
        // and the engines key cached blocks by the code context (`code_context`), so a
        // privilege change flushes neither.
        self.privilege = p;
        self.select_fast_tlb();
        self.stop = true;
    }

    /// Sets or clears a software-writable pending bit of `mip` (SSIP, STIP, SEIP), as the
    /// built-in SBI firmware does for IPIs.
    pub fn set_pending(&mut self, irq: u64, on: bool) {
        let bit = (1u64 << irq) & MIP_WRITABLE;
        if on {
            self.mip_sw |= bit;
        } else {
            self.mip_sw &= !bit;
        }
        self.stop = true;
    }

    /// Interrupts pending and enabled in `mie`, whatever the global enables: what wakes `wfi`.
    pub fn wakeup_pending(&self) -> bool {
        self.mip() & self.mie != 0
    }

    /// A remote `fence.i` or `sfence.vma` through SBI: a TLB flush, and a code flush if code
    /// was modified or a code page remapped.
    pub fn flush_translations(&mut self) {
        self.tlb.flush();
        self.fence_i();
        self.revalidate_code(None);
        self.stop = true;
    }

    fn request_code_flush(&mut self) {
        if !self.code_flush {
            self.code_flushes += 1;
        }
        self.code_flush = true;
    }

    /// Forgets the code pages (the engine is dropping every cached block).
    fn forget_code(&mut self) {
        if !self.code_pages.is_empty() {
            self.code_pages.clear();
            self.code_ram.fill(0);
        }
        self.last_code_page = None;
        self.dirty_code.clear();
        self.stale_code.clear();
    }

    /// Marks the cached code of the virtual pages `stale` (entries of `code_pages`, which
    /// they leave) for dropping by the next [`Env::take_code_invalidation`].
    fn invalidate_pages(&mut self, stale: Vec<(u64, u64)>) {
        if stale.is_empty() {
            return;
        }
        for k in &stale {
            self.code_pages.remove(k);
            if !self.stale_code.contains(k) {
                self.stale_code.push(*k);
            }
        }
        self.last_code_page = None;
        self.code_invalidations += 1;
    }

    /// What instruction fetch depends on besides the pc: 0 untranslated (M-mode, or satp
    /// Bare: every level fetches the same bytes), 1 U-mode and 2 S-mode through the page table.
    #[inline(always)]
    pub fn code_context(&self) -> u64 {
        if self.privilege == Priv::M || self.satp >> 60 == 0 {
            0
        } else if self.privilege == Priv::U {
            1
        } else {
            2
        }
    }

    /// Remembers that code was fetched from virtual page `va` at physical `pa`.
    #[inline]
    fn note_fetch(&mut self, va: u64, pa: u64) {
        let (vp, pp, cx) = (va >> 12, pa >> 12, self.code_context());
        if self.last_code_page == Some((vp, cx, pp)) {
            return;
        }
        self.last_code_page = Some((vp, cx, pp));
        let old = self.code_pages.insert((vp, cx), pp);
        if old != Some(pp) {
            if old.is_some() {
                // Fetched through a new mapping before any sfence.vma: code cached from the
                // old physical page is no longer tracked, so it all goes.
                self.request_code_flush();
            }
            if let Some((i, bit)) = self.code_ram_bit(pa) {
                if self.code_ram[i] & bit == 0 {
                    self.code_ram[i] |= bit;
                    // Stores to it must be seen (self-modifying code): no inline stores.
                    self.tlb.fast.flush_stores();
                }
            }
        }
    }

    /// A store to physical `pa` (RAM or not): marks the code dirty when it hits a code page.
    #[inline(always)]
    fn note_store(&mut self, pa: u64) {
        if self.holds_code(pa) && !self.dirty_code.contains(&(pa >> 12)) {
            self.dirty_code.push(pa >> 12);
        }
    }

    /// Where the bit of `pa`'s page is in `code_ram` (word index, mask), if `pa` is in RAM.
    #[inline(always)]
    fn code_ram_bit(&self, pa: u64) -> Option<(usize, u64)> {
        let page = (pa.checked_sub(self.bus.ram_base)? >> 12) as usize;
        (page / 64 < self.code_ram.len()).then_some((page / 64, 1 << (page % 64)))
    }

    /// Whether code was fetched from `pa`'s page since the last code flush.
    #[inline(always)]
    fn holds_code(&self, pa: u64) -> bool {
        self.code_ram_bit(pa)
            .is_some_and(|(i, bit)| self.code_ram[i] & bit != 0)
    }

    /// After a TLB flush (`sfence.vma` of `va`, or all when `None`; a `satp` write): marks
    /// stale the code pages (or `va`'s) that no longer map to the same physical page with
    /// execute permission in their code context.
    fn revalidate_code(&mut self, va: Option<u64>) {
        if self.code_flush || self.code_pages.is_empty() {
            return;
        }
        let levels = match self.satp >> 60 {
            8 => 3,
            9 => 4,
            _ => 0,
        };
        let root_ppn = self.satp & ((1 << 44) - 1);
        let still = |bus: &mut Bus, vp: u64, cx: u64, pp: u64| -> bool {
            let va = vp << 12;
            let now = match cx {
                0 => Some(va),
                // Translated code of a context that cannot be entered any more (translation
                // turned off) would be stale if it were turned on again with other tables.
                _ if levels == 0 => None,
                _ => {
                    let c = Context {
                        root_ppn,
                        levels,
                        user: cx == 1,
                        sum: false,
                        mxr: false,
                    };
                    super::mmu::probe(bus, &c, va)
                }
            };
            now.map(|pa| pa >> 12) == Some(pp)
        };
        let stale: Vec<(u64, u64)> = match va {
            Some(va) => {
                let vp = va >> 12;
                [1, 2]
                    .into_iter()
                    .filter(|&cx| match self.code_pages.get(&(vp, cx)) {
                        Some(&pp) => !still(&mut self.bus, vp, cx, pp),
                        None => false,
                    })
                    .map(|cx| (vp, cx))
                    .collect()
            }
            None => self
                .code_pages
                .iter()
                .filter(|(&(vp, cx), &pp)| !still(&mut self.bus, vp, cx, pp))
                .map(|(&k, _)| k)
                .collect(),
        };
        if stale.is_empty() {
            self.code_flushes_avoided += 1;
        } else {
            self.invalidate_pages(stale);
        }
    }

    /// Requests a return to the run loop before the next block.
    pub fn request_stop(&mut self) {
        self.stop = true;
    }

    // ---- memory path ----

    fn translation(&self, access: Access) -> Option<Context> {
        let levels = match self.satp >> 60 {
            8 => 3,
            9 => 4,
            _ => return None,
        };
        let p = if access != Access::Fetch
            && self.mstatus & MSTATUS_MPRV != 0
            && self.privilege == Priv::M
        {
            Priv::from_bits(self.mstatus >> 11)
        } else {
            self.privilege
        };
        if p == Priv::M {
            return None;
        }
        Some(Context {
            root_ppn: self.satp & ((1 << 44) - 1),
            levels,
            user: p == Priv::U,
            sum: self.mstatus & MSTATUS_SUM != 0,
            mxr: self.mstatus & MSTATUS_MXR != 0,
        })
    }

    /// Virtual to physical for one access that does not cross a page.
    #[inline]
    pub fn translate(&mut self, va: u64, access: Access) -> Result<u64, Exception> {
        match self.translation(access) {
            None => Ok(va),
            Some(ctx) => self.tlb.translate(&mut self.bus, &ctx, va, access),
        }
    }

    fn load_aligned(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        let pa = self.translate(addr, Access::Load)?;
        let v = self
            .bus
            .read(pa, w)
            .ok_or(Exception::new(Cause::LoadAccessFault, addr))?;
        if let Some(host) = self.bus.ram_page_host(pa) {
            // (The level is stale when untranslated; the untranslated tables ignore it.)
            self.tlb.fast.fill(false, addr, host, self.tlb.last_level);
        }
        Ok(v)
    }

    /// Whether stores to RAM page `pa` may bypass [`Hart::store_aligned`]: not a page code was
    /// fetched from (stores to it are noted) and not HTIF's `tohost` page (a store runs a
    /// command).
    fn plain_store_page(&self, pa: u64) -> bool {
        self.bus.htif.tohost.is_none_or(|t| t >> 12 != pa >> 12) && !self.holds_code(pa)
    }

    fn store_aligned(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        let pa = self.translate(addr, Access::Store)?;
        let uart = pa.wrapping_sub(UART0_BASE) < UART0_SIZE;
        let irqs = |h: &Self| h.bus.board.as_ref().map(|b| b.external_irqs());
        let before = if uart { irqs(self) } else { None };
        self.bus
            .write(pa, val, w)
            .ok_or(Exception::new(Cause::StoreAccessFault, addr))?;
        self.note_store(pa);
        if self.plain_store_page(pa) {
            if let Some(host) = self.bus.ram_page_host(pa) {
                self.tlb.fast.fill(true, addr, host, self.tlb.last_level);
                return Ok(());
            }
        }
        // A device write (CLINT msip/mtimecmp, PLIC, UART, test finisher) may raise or clear
        // an interrupt or end the run: end the slice. Not for a UART write that changed no
        // interrupt line (console output, a byte at a time): the bytes go out at the end of
        // the slice.
        let quiet_output = uart && irqs(self) == before;
        if !self.bus.is_ram(pa, 1) && !quiet_output {
            self.stop = true;
            // A device's DMA into RAM (virtio) counts as stores for cached code.
            for (start, len) in self.bus.take_dma_writes() {
                let end = start.saturating_add(len);
                for page in (start >> 12)..=(end.saturating_sub(1) >> 12) {
                    self.note_store(page << 12);
                }
            }
        }
        Ok(())
    }

    // ---- traps ----

    /// Delivers a trap (`cause` has bit 63 set for an interrupt) at `cpu.pc` with `tval`,
    /// to S-mode when delegated and the hart is not in M-mode, otherwise to M-mode.
    pub fn take_trap(&mut self, cpu: &mut CpuState, cause: u64, tval: u64) {
        let interrupt = cause & INTERRUPT != 0;
        let code = cause & !INTERRUPT;
        let deleg = if interrupt {
            self.mideleg
        } else {
            self.medeleg
        };
        let delegated = code < 64 && (deleg >> code) & 1 != 0;
        let from = self.privilege;
        cpu.reservation = NO_RESERVATION;
        self.waiting = false;
        let vector = |tvec: u64| {
            let base = tvec & !3;
            if tvec & 3 == 1 && interrupt {
                base.wrapping_add(4 * code)
            } else {
                base
            }
        };
        if from <= Priv::S && delegated {
            self.sepc = cpu.pc & !1;
            self.scause = cause;
            self.stval = tval;
            let sie = self.mstatus & MSTATUS_SIE != 0;
            self.mstatus &= !(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
            if sie {
                self.mstatus |= MSTATUS_SPIE;
            }
            if from == Priv::S {
                self.mstatus |= MSTATUS_SPP;
            }
            cpu.pc = vector(self.stvec);
            self.set_privilege(Priv::S);
        } else {
            self.mepc = cpu.pc & !1;
            self.mcause = cause;
            self.mtval = tval;
            let mie = self.mstatus & MSTATUS_MIE != 0;
            self.mstatus &= !(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
            if mie {
                self.mstatus |= MSTATUS_MPIE;
            }
            self.mstatus |= (from as u64) << 11;
            cpu.pc = vector(self.mtvec);
            self.set_privilege(Priv::M);
        }
    }

    /// Delivers a synchronous exception raised by the engine (ecall causes follow the
    /// privilege level).
    pub fn take_exception(&mut self, cpu: &mut CpuState, e: Exception) {
        let cause = match e.cause {
            Cause::EcallFromU => match self.privilege {
                Priv::U => Cause::EcallFromU,
                Priv::S => Cause::EcallFromS,
                Priv::M => Cause::EcallFromM,
            },
            c => c,
        };
        self.take_trap(cpu, cause as u64, e.tval);
    }

    /// The interrupt to take now, as an `mcause` value, if any (section 3.1.9).
    pub fn pending_interrupt(&self) -> Option<u64> {
        let pending = self.mip() & self.mie;
        if pending == 0 {
            return None;
        }
        let m_enabled = self.privilege < Priv::M || self.mstatus & MSTATUS_MIE != 0;
        let s_enabled = self.privilege < Priv::S
            || (self.privilege == Priv::S && self.mstatus & MSTATUS_SIE != 0);
        let m = if m_enabled {
            pending & !self.mideleg
        } else {
            0
        };
        let s = if s_enabled { pending & self.mideleg } else { 0 };
        for set in [m, s] {
            for bit in IRQ_PRIORITY {
                if set >> bit & 1 != 0 {
                    return Some(INTERRUPT | bit);
                }
            }
        }
        None
    }

    // ---- CSRs ----

    fn counter_allowed(&self, n: u16, privilege: Priv) -> bool {
        let bit = 1u64 << (n & 31);
        match privilege {
            Priv::M => true,
            Priv::S => self.mcounteren & bit != 0,
            Priv::U => self.mcounteren & bit != 0 && self.scounteren & bit != 0,
        }
    }

    fn minstret(&self, cpu: &CpuState) -> u64 {
        if self.mcountinhibit & 4 != 0 {
            self.instret_frozen
        } else {
            cpu.instret.wrapping_add(self.instret_offset)
        }
    }

    fn mcycle(&self, cpu: &CpuState) -> u64 {
        if self.mcountinhibit & 1 != 0 {
            self.cycle_frozen
        } else {
            cpu.instret.wrapping_add(self.cycle_offset)
        }
    }

    fn time(&self, cpu: &CpuState) -> u64 {
        if self.bus.clint.host_clock.is_some() {
            return self.bus.clint.mtime();
        }
        cpu.instret.wrapping_add(self.bus.clint.mtime_offset)
    }

    /// Reads CSR `csr`; illegal instruction when it does not exist or may not be accessed.
    pub fn csr_read(&self, cpu: &CpuState, csr: u16) -> Result<u64, Exception> {
        self.csr_read_as(cpu, csr, self.privilege)
    }

    /// Reads CSR `csr` with the access checks of privilege level `privilege` (a debugger
    /// reads as M whatever the hart runs in).
    pub fn csr_read_as(&self, cpu: &CpuState, csr: u16, privilege: Priv) -> Result<u64, Exception> {
        if (privilege as u16) < (csr >> 8) & 3 {
            return Err(illegal());
        }
        Ok(match csr {
            0xc00..=0xc1f => {
                if !self.counter_allowed(csr, privilege) {
                    return Err(illegal());
                }
                match csr {
                    0xc00 => self.mcycle(cpu),
                    0xc01 => self.time(cpu),
                    0xc02 => self.minstret(cpu),
                    _ => 0,
                }
            }
            0x100 => self.mstatus() & SSTATUS_VISIBLE,
            0x104 => self.mie & self.mideleg,
            0x105 => self.stvec,
            0x106 => self.scounteren,
            0x10a => 0, // senvcfg: no fields implemented
            0x140 => self.sscratch,
            0x141 => self.sepc,
            0x142 => self.scause,
            0x143 => self.stval,
            0x144 => self.mip() & self.mideleg,
            0x14d => {
                // Sstc: S-mode needs menvcfg.STCE and mcounteren.TM.
                if privilege == Priv::S
                    && (self.menvcfg & MENVCFG_STCE == 0 || self.mcounteren & 2 == 0)
                {
                    return Err(illegal());
                }
                self.bus.clint.stimecmp
            }
            0x180 => {
                if privilege == Priv::S && self.mstatus & MSTATUS_TVM != 0 {
                    return Err(illegal());
                }
                self.satp
            }
            0x300 => self.mstatus(),
            0x301 => MISA,
            0x302 => self.medeleg,
            0x303 => self.mideleg,
            0x304 => self.mie,
            0x305 => self.mtvec,
            0x306 => self.mcounteren,
            0x30a => self.menvcfg,
            0x320 => self.mcountinhibit,
            0x323..=0x33f => 0, // mhpmevent3..31
            0x340 => self.mscratch,
            0x341 => self.mepc,
            0x342 => self.mcause,
            0x343 => self.mtval,
            0x344 => self.mip(),
            0x3a0 => self.pmpcfg[0],
            0x3a2 => self.pmpcfg[1],
            0x3b0..=0x3bf => self.pmpaddr[usize::from(csr - 0x3b0)],
            // Sdtrig with no triggers: tselect is hardwired to 0, tdata1 reads type 0
            // ("no trigger at this tselect"), tdata2/3 read 0, tinfo says only type 0
            // exists. Debuggers and riscv-tests' breakpoint test probe triggers this way.
            0x7a0..=0x7a3 => 0,
            0x7a4 => 1,
            0xb00 => self.mcycle(cpu),
            0xb02 => self.minstret(cpu),
            0xb03..=0xb1f => 0, // mhpmcounter3..31
            0xf11..=0xf15 => 0, // mvendorid, marchid, mimpid, mhartid, mconfigptr
            _ => return Err(illegal()),
        })
    }

    /// Writes CSR `csr` (existence and permission were checked by the read). `cpu.instret`
    /// counts the instructions before this one.
    pub fn csr_write(&mut self, cpu: &CpuState, csr: u16, v: u64) -> Result<(), Exception> {
        // A write takes effect after the writing instruction, which does not count itself.
        let after = cpu.instret.wrapping_add(1);
        match csr {
            0x100 => {
                let m = (self.mstatus & !SSTATUS_WRITABLE) | (v & SSTATUS_WRITABLE);
                self.set_mstatus(m);
            }
            0x104 => {
                let m = self.mideleg & MIE_WRITABLE;
                self.mie = (self.mie & !m) | (v & m);
                self.stop = true;
            }
            0x105 => self.stvec = legal_tvec(self.stvec, v),
            0x106 => self.scounteren = v & 0xffff_ffff,
            0x140 => self.sscratch = v,
            0x141 => self.sepc = v & !1,
            0x142 => self.scause = v,
            0x143 => self.stval = v,
            0x144 => {
                let m = self.mideleg & 1 << IRQ_SSI;
                self.mip_sw = (self.mip_sw & !m) | (v & m);
                self.stop = true;
            }
            0x14d => {
                self.bus.clint.stimecmp = v;
                self.stop = true;
            }
            0x180 => {
                // Bare, Sv39 and Sv48: other modes leave satp unchanged (WARL).
                let mode = v >> 60;
                if mode == 0 || mode == 8 || mode == 9 {
                    self.satp = v;
                    self.tlb.flush();
                    self.select_fast_tlb();
                    self.revalidate_code(None);
                }
            }
            0x300 => self.set_mstatus(v),
            0x302 => self.medeleg = v & MEDELEG_WRITABLE,
            0x303 => {
                self.mideleg = v & MIDELEG_WRITABLE;
                self.stop = true;
            }
            0x304 => {
                self.mie = v & MIE_WRITABLE;
                self.stop = true;
            }
            0x305 => self.mtvec = legal_tvec(self.mtvec, v),
            0x306 => self.mcounteren = v & 0xffff_ffff,
            0x30a => {
                self.menvcfg = v & MENVCFG_STCE;
                self.stop = true;
            }
            0x320 => {
                let new = v & 5;
                let old = self.mcountinhibit;
                // Freeze or resume the counters at their values after this instruction.
                if new & 4 != old & 4 {
                    if new & 4 != 0 {
                        self.instret_frozen = after.wrapping_add(self.instret_offset);
                    } else {
                        self.instret_offset = self.instret_frozen.wrapping_sub(after);
                    }
                }
                if new & 1 != old & 1 {
                    if new & 1 != 0 {
                        self.cycle_frozen = after.wrapping_add(self.cycle_offset);
                    } else {
                        self.cycle_offset = self.cycle_frozen.wrapping_sub(after);
                    }
                }
                self.mcountinhibit = new;
            }
            0x340 => self.mscratch = v,
            0x341 => self.mepc = v & !1,
            0x342 => self.mcause = v,
            0x343 => self.mtval = v,
            0x344 => {
                self.mip_sw = (self.mip_sw & !MIP_WRITABLE) | (v & MIP_WRITABLE);
                self.stop = true;
            }
            0x3a0 | 0x3a2 => {
                let i = usize::from((csr - 0x3a0) / 2);
                self.pmpcfg[i] = legal_pmpcfg(self.pmpcfg[i], v);
            }
            0x3b0..=0x3bf => {
                let i = usize::from(csr - 0x3b0);
                if !self.pmp_addr_locked(i) {
                    self.pmpaddr[i] = v & ((1 << 54) - 1);
                }
            }
            0xb00 => {
                if self.mcountinhibit & 1 != 0 {
                    self.cycle_frozen = v;
                } else {
                    self.cycle_offset = v.wrapping_sub(after);
                }
            }
            0xb02 => {
                if self.mcountinhibit & 4 != 0 {
                    self.instret_frozen = v;
                } else {
                    self.instret_offset = v.wrapping_sub(after);
                }
            }
            // Read-only zero or WARL-without-fields registers: writes are ignored.
            0x10a | 0x301 | 0x323..=0x33f | 0x7a0..=0x7a4 | 0xb03..=0xb1f => {}
            _ => return Err(illegal()),
        }
        Ok(())
    }

    fn pmp_cfg_byte(&self, i: usize) -> u64 {
        let reg = self.pmpcfg.get(i / 8).copied().unwrap_or(0);
        (reg >> ((i % 8) * 8)) & 0xff
    }

    /// pmpaddr[i] is locked by its own L bit, or by entry i+1's when that is L and TOR.
    fn pmp_addr_locked(&self, i: usize) -> bool {
        let locked = |c: u64| c & 0x80 != 0;
        locked(self.pmp_cfg_byte(i)) || {
            let next = self.pmp_cfg_byte(i + 1);
            i + 1 < 16 && locked(next) && (next >> 3) & 3 == 1
        }
    }

    // ---- system instructions ----

    fn xret(&mut self, cpu: &mut CpuState, m: bool) -> Result<(), Exception> {
        if m {
            if self.privilege != Priv::M {
                return Err(illegal());
            }
            let to = Priv::from_bits(self.mstatus >> 11);
            let mpie = self.mstatus & MSTATUS_MPIE != 0;
            self.mstatus &= !(MSTATUS_MIE | MSTATUS_MPP);
            if mpie {
                self.mstatus |= MSTATUS_MIE;
            }
            self.mstatus |= MSTATUS_MPIE;
            if to != Priv::M {
                self.mstatus &= !MSTATUS_MPRV;
            }
            cpu.pc = self.mepc;
            self.set_privilege(to);
        } else {
            if self.privilege == Priv::U
                || (self.privilege == Priv::S && self.mstatus & MSTATUS_TSR != 0)
            {
                return Err(illegal());
            }
            let to = if self.mstatus & MSTATUS_SPP != 0 {
                Priv::S
            } else {
                Priv::U
            };
            let spie = self.mstatus & MSTATUS_SPIE != 0;
            self.mstatus &= !(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV);
            if spie {
                self.mstatus |= MSTATUS_SIE;
            }
            self.mstatus |= MSTATUS_SPIE;
            cpu.pc = self.sepc;
            self.set_privilege(to);
        }
        cpu.reservation = NO_RESERVATION;
        Ok(())
    }
}

/// mtvec/stvec: modes 0 (direct) and 1 (vectored); a reserved mode leaves the register as it was.
fn legal_tvec(old: u64, v: u64) -> u64 {
    if v & 3 >= 2 {
        old
    } else {
        v
    }
}

/// pmpcfg: locked bytes keep their value; bits 6:5 are zero; W without R is reserved (W cleared).
fn legal_pmpcfg(old: u64, v: u64) -> u64 {
    let mut out = 0;
    for i in 0..8 {
        let o = (old >> (i * 8)) & 0xff;
        let mut b = (v >> (i * 8)) & 0x9f;
        if o & 0x80 != 0 {
            b = o;
        } else if b & 3 == 2 {
            b &= !2;
        }
        out |= b << (i * 8);
    }
    out
}

impl Env for Hart {
    #[inline]
    fn load(&mut self, addr: u64, w: Width) -> Result<u64, Exception> {
        if addr & (w.bytes() - 1) == 0 {
            return self.load_aligned(addr, w);
        }
        if self.misaligned == Misaligned::Trap {
            return Err(Exception::new(Cause::LoadMisaligned, addr));
        }
        let mut v = 0;
        for i in 0..w.bytes() {
            v |= self.load_aligned(addr.wrapping_add(i), Width::B)? << (8 * i);
        }
        Ok(v)
    }

    #[inline]
    fn store(&mut self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        if addr & (w.bytes() - 1) == 0 {
            return self.store_aligned(addr, val, w);
        }
        if self.misaligned == Misaligned::Trap {
            return Err(Exception::new(Cause::StoreMisaligned, addr));
        }
        // Translate every byte first so that a fault leaves memory unchanged.
        let mut pas = [0u64; 8];
        for (i, pa) in pas.iter_mut().enumerate().take(w.bytes() as usize) {
            *pa = self.translate(addr.wrapping_add(i as u64), Access::Store)?;
        }
        for (i, pa) in pas.iter().enumerate().take(w.bytes() as usize) {
            self.bus
                .write(*pa, val >> (8 * i), Width::B)
                .ok_or(Exception::new(Cause::StoreAccessFault, addr))?;
            self.note_store(*pa);
        }
        Ok(())
    }

    fn amo(&mut self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        let pa = self.translate(addr, Access::Store)?;
        self.note_store(pa);
        self.bus
            .amo(op, pa, val, w)
            .ok_or(Exception::new(Cause::StoreAccessFault, addr))
    }

    fn cmpxchg(&mut self, addr: u64, expected: u64, new: u64, w: Width) -> Result<bool, Exception> {
        let pa = self.translate(addr, Access::Store)?;
        let fault = Exception::new(Cause::StoreAccessFault, addr);
        let old = self.bus.read(pa, w).ok_or(fault)?;
        if old != expected {
            return Ok(false);
        }
        self.bus.write(pa, new, w).ok_or(fault)?;
        self.note_store(pa);
        Ok(true)
    }

    fn fetch16(&mut self, addr: u64) -> Result<u16, Exception> {
        if addr & 1 != 0 {
            return Err(Exception::new(Cause::InstructionMisaligned, addr));
        }
        let pa = self.translate(addr, Access::Fetch)?;
        let fault = Exception::new(Cause::InstructionAccessFault, addr);
        if !self.bus.is_executable(pa, 2) {
            return Err(fault);
        }
        self.note_fetch(addr, pa);
        self.bus.read(pa, Width::H).map(|v| v as u16).ok_or(fault)
    }

    fn csr(
        &mut self,
        cpu: &mut CpuState,
        csr: u16,
        op: CsrOp,
        src: u64,
        _read: bool,
        write: bool,
    ) -> Result<u64, Exception> {
        if write && csr >> 10 == 3 {
            return Err(illegal());
        }
        // Existence and permission are checked whether or not the value is used; reading has
        // no side effects here.
        let old = self.csr_read(cpu, csr)?;
        if write {
            self.csr_write(cpu, csr, csr_combine(op, old, src))?;
        }
        Ok(old)
    }

    fn fence_i(&mut self) {
        // Cached code is stale only where a store hit a page it was fetched from: those
        // pages' code goes (through every virtual page mapping them), the rest stays.
        if self.dirty_code.is_empty() {
            if !self.code_flush {
                self.code_flushes_avoided += 1;
            }
            return;
        }
        let dirty = std::mem::take(&mut self.dirty_code);
        let stale: Vec<(u64, u64)> = self
            .code_pages
            .iter()
            .filter(|(_, pp)| dirty.contains(pp))
            .map(|(&k, _)| k)
            .collect();
        for pp in dirty {
            if let Some((i, bit)) = self.code_ram_bit(pp << 12) {
                self.code_ram[i] &= !bit;
            }
        }
        self.invalidate_pages(stale);
    }

    #[inline(always)]
    fn take_code_flush(&mut self) -> bool {
        if !self.code_flush && self.stale_code.is_empty() {
            return false;
        }
        self.code_flush = false;
        self.forget_code();
        true
    }

    #[inline(always)]
    fn take_code_invalidation(&mut self, pages: &mut Vec<(u64, u64)>) -> bool {
        if self.code_flush {
            return self.take_code_flush();
        }
        if self.stale_code.is_empty() {
            return false;
        }
        pages.append(&mut self.stale_code);
        true
    }

    #[inline(always)]
    fn code_flush_pending(&self) -> bool {
        self.code_flush || !self.stale_code.is_empty()
    }

    #[inline(always)]
    fn code_context(&self) -> u64 {
        Hart::code_context(self)
    }

    fn soft_tlb(&self) -> Option<translator::interp::SoftTlb> {
        Some(self.tlb.fast.soft_tlb())
    }

    fn system(
        &mut self,
        cpu: &mut CpuState,
        op: SystemOp,
        a: u64,
        _b: u64,
    ) -> Result<(), Exception> {
        match op {
            SystemOp::Mret => self.xret(cpu, true),
            SystemOp::Sret => self.xret(cpu, false),
            SystemOp::Wfi => {
                if self.privilege == Priv::U
                    || (self.privilege == Priv::S && self.mstatus & MSTATUS_TW != 0)
                {
                    return Err(illegal());
                }
                self.waiting = true;
                self.stop = true;
                Ok(())
            }
            SystemOp::SfenceVma => {
                if self.privilege == Priv::U
                    || (self.privilege == Priv::S && self.mstatus & MSTATUS_TVM != 0)
                {
                    return Err(illegal());
                }
                // The translations of `va`'s page (for every ASID: entries are not tagged
                // with one), or the whole TLB; code only if a code page changed its mapping.
                // `va` 0 may be `x0` ("all addresses"): all.
                if a != 0 {
                    self.tlb.flush_page(a);
                } else {
                    self.tlb.flush();
                }
                self.revalidate_code((a != 0).then_some(a));
                Ok(())
            }
        }
    }

    const CHECKS_FP: bool = true;

    #[inline]
    fn fp_enabled(&mut self) -> Result<(), Exception> {
        if self.mstatus & MSTATUS_FS == 0 {
            return Err(illegal());
        }
        // Conservatively dirty: any FP instruction may have changed FP state.
        self.mstatus |= MSTATUS_FS;
        Ok(())
    }

    #[inline(always)]
    fn exit_requested(&mut self) -> bool {
        std::mem::take(&mut self.stop) || self.bus.htif.exit.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAM: u64 = 0x8000_0000;

    fn fetch_word(h: &mut Hart, va: u64) {
        assert!(h.fetch16(va).is_ok(), "fetch {va:#x}");
    }

    /// What `take_code_invalidation` hands over: `None` for nothing, `Some(vec![])` for a
    /// whole flush, otherwise the stale (virtual page, code context) pairs, sorted.
    fn invalidation(h: &mut Hart) -> Option<Vec<(u64, u64)>> {
        let mut pages = Vec::new();
        h.take_code_invalidation(&mut pages).then(|| {
            pages.sort_unstable();
            pages
        })
    }

    /// fence.i drops cached code only after a store to a page code was fetched from, and then
    /// only that page's.
    #[test]
    fn fence_i_flushes_only_after_a_store_to_code() {
        let mut h = Hart::new(Bus::new(RAM, 1 << 20));
        fetch_word(&mut h, RAM + 0x100);
        fetch_word(&mut h, RAM + 0x3000);
        h.fence_i();
        assert!(!h.take_code_flush(), "no store: the code is still valid");
        h.store(RAM + 0x2000, 1, Width::W).ok();
        h.fence_i();
        assert!(!h.take_code_flush(), "a store to a data page");
        h.store(RAM + 0x180, 1, Width::W).ok();
        assert!(
            !h.take_code_flush(),
            "a store alone does not flush (fence.i does)"
        );
        h.fence_i();
        assert_eq!(
            invalidation(&mut h),
            Some(vec![(RAM >> 12, 0)]),
            "a store to a code page, then fence.i: that page's code goes, not the other's"
        );
        // The page's code was dropped: the same store now needs a new fetch to matter.
        h.store(RAM + 0x180, 2, Width::W).ok();
        h.fence_i();
        assert_eq!(invalidation(&mut h), None);
        // The other code page is still known.
        h.store(RAM + 0x3ffe, 2, Width::H).ok();
        h.fence_i();
        assert_eq!(invalidation(&mut h), Some(vec![((RAM + 0x3000) >> 12, 0)]));
        assert_eq!(
            (h.code_flushes, h.code_invalidations, h.code_flushes_avoided),
            (0, 2, 3)
        );
        // Engines without partial invalidation see a whole flush, which forgets every page.
        fetch_word(&mut h, RAM + 0x100);
        fetch_word(&mut h, RAM + 0x3000);
        h.store(RAM + 0x100, 1, Width::W).ok();
        h.fence_i();
        assert!(h.take_code_flush());
        h.store(RAM + 0x3000, 1, Width::W).ok();
        h.fence_i();
        assert_eq!(invalidation(&mut h), None);
    }

    /// The code page of the Sv39 tests: virtual address `CODE_VA`.
    const CODE_VA: u64 = 0x4000_0000;

    /// A level-0 leaf entry for physical page `pa` (readable, executable, accessed).
    fn leaf(pa: u64) -> u64 {
        (pa >> 12) << 10 | 1 | 2 | 8 | 0x40
    }

    fn write_d(h: &mut Hart, pa: u64, v: u64) {
        h.bus.write(pa, v, Width::D).map(|_| ()).unwrap_or_default();
    }

    /// A hart with Sv39 tables (not yet in `satp`): root at RAM + 0x1_0000, one level-1 and
    /// one level-0 table, mapping `CODE_VA` to RAM + 0x2_0000. Returns the hart, the root and
    /// the level-0 table's address.
    fn code_page_hart() -> (Hart, u64, u64) {
        let mut h = Hart::new(Bus::new(RAM, 1 << 20));
        let (root, l1, l0) = (RAM + 0x1_0000, RAM + 0x1_1000, RAM + 0x1_2000);
        let ptr = |pa: u64| (pa >> 12) << 10 | 1;
        write_d(&mut h, root + 8, ptr(l1));
        write_d(&mut h, l1, ptr(l0));
        write_d(&mut h, l0, leaf(RAM + 0x2_0000));
        (h, root, l0)
    }

    /// sfence.vma and satp writes drop cached code only when a code page's mapping changed;
    /// the code context separates S-mode, U-mode and untranslated fetches.
    #[test]
    fn sfence_vma_flushes_only_when_a_code_page_is_remapped() {
        let (mut h, root, l0) = code_page_hart();
        let va = CODE_VA;
        let cpu = CpuState::default();
        assert_eq!(h.code_context(), 0);
        h.csr_write(&cpu, 0x180, 8 << 60 | root >> 12).ok();
        assert_eq!(h.code_context(), 0, "M-mode does not translate");
        h.set_privilege(Priv::S);
        assert_eq!(h.code_context(), 2);
        fetch_word(&mut h, va);
        let _ = h.system(&mut cpu.clone(), SystemOp::SfenceVma, 0, 0);
        assert!(!h.take_code_flush(), "nothing changed");
        h.set_privilege(Priv::U);
        assert_eq!(h.code_context(), 1);
        assert!(!h.take_code_flush(), "a privilege change keeps the code");
        h.set_privilege(Priv::S);
        // Remap the code page: the cached code is stale after sfence.vma of that page.
        write_d(&mut h, l0, leaf(RAM + 0x3_0000));
        let _ = h.system(&mut cpu.clone(), SystemOp::SfenceVma, va + 0x10, 0);
        assert_eq!(
            invalidation(&mut h),
            Some(vec![(va >> 12, 2)]),
            "code page remapped"
        );
        // Unmapped: a satp write to another root (empty table) makes it stale too, but not
        // the untranslated code (M-mode fetched).
        fetch_word(&mut h, va);
        h.set_privilege(Priv::M);
        fetch_word(&mut h, RAM + 0x100);
        h.set_privilege(Priv::S);
        h.csr_write(&cpu, 0x180, 8 << 60 | (RAM + 0x4_0000) >> 12)
            .ok();
        assert_eq!(
            invalidation(&mut h),
            Some(vec![(va >> 12, 2)]),
            "satp write to tables without the code page"
        );
        assert!(!h.take_code_flush(), "the M-mode code stays");
    }

    /// A page fetched through a new mapping before the sfence.vma that would have dropped the
    /// old one's code: everything goes (the old physical page is no longer tracked).
    #[test]
    fn fetching_through_a_changed_mapping_flushes_everything() {
        let (mut h, root, l0) = code_page_hart();
        let va = CODE_VA;
        let cpu = CpuState::default();
        h.csr_write(&cpu, 0x180, 8 << 60 | root >> 12).ok();
        h.set_privilege(Priv::S);
        fetch_word(&mut h, va);
        write_d(&mut h, l0, leaf(RAM + 0x3_0000));
        h.tlb.flush();
        fetch_word(&mut h, va);
        assert_eq!(invalidation(&mut h), Some(vec![]));
        assert_eq!(h.code_flushes, 1);
    }

    /// Console output does not end the slice; a UART write that raises an interrupt does.
    #[test]
    fn uart_output_ends_the_slice_only_when_it_changes_an_interrupt() {
        use crate::devices::{Board, PLIC_BASE, UART0_IRQ};
        let mut h = Hart::new(Bus::new(RAM, 1 << 20));
        h.bus.board = Some(Box::new(Board::new()));
        let _ = h.exit_requested();
        for b in b"ok" {
            h.store(UART0_BASE, u64::from(*b), Width::B).ok();
        }
        assert!(!h.exit_requested(), "plain console output");
        // The UART's source enabled for S-mode (context 1) at priority 1, threshold 0.
        let src = UART0_IRQ as u64;
        h.store(PLIC_BASE + 4 * src, 1, Width::W).ok();
        h.store(PLIC_BASE + 0x2080 + src / 32 * 4, 1 << (src % 32), Width::W)
            .ok();
        let _ = h.exit_requested();
        assert!(!h.bus.board.as_ref().is_some_and(|b| b.external_irqs().1));
        // IER.THRE on with the transmitter empty: the interrupt is raised.
        h.store(UART0_BASE + 1, 2, Width::B).ok();
        assert!(h.bus.board.as_ref().is_some_and(|b| b.external_irqs().1));
        assert!(h.exit_requested(), "an interrupt became pending");
        let out = h.bus.board.as_mut().map(|b| b.take_output());
        assert_eq!(out.as_deref(), Some(&b"ok"[..]));
    }

    #[test]
    fn satp_accepts_bare_sv39_and_sv48_only() {
        let mut h = Hart::new(Bus::new(0x8000_0000, 1 << 16));
        let cpu = CpuState::default();
        for (mode, accepted) in [(8u64, true), (9, true), (10, false), (1, false), (0, true)] {
            let v = mode << 60 | 0x1234;
            h.csr_write(&cpu, 0x180, v).ok();
            assert_eq!(h.satp == v, accepted, "mode {mode}");
        }
    }
}
