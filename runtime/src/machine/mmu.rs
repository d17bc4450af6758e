//! Sv39 and Sv48 address translation with a small TLB (RISC-V Privileged ISA 20211203, section
//! 4.3.2 "Virtual Address Translation Process", 4.4 "Sv39" and 4.5 "Sv48").
//!
//! A/D bits are updated by the walker (the implementation choice QEMU makes; no Svade): a
//! load or fetch through a PTE with A clear sets A, a store with A or D clear sets both, with
//! a write of the PTE. Reserved PTE bits 63:54 (Svpbmt/Svnapot are not implemented) are a page
//! fault. Only successful translations are cached, each tagged with the parts of the context
//! that decide permissions (effective privilege U or S, SUM, MXR), so privilege changes and
//! `mstatus` writes need no flush; `sfence.vma` and `satp` writes flush the TLB.

use translator::emit::Width;
use translator::{Cause, Exception};

use super::bus::Bus;

/// The kind of access being translated (selects permission bits and the fault cause).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Fetch = 0,
    Load = 1,
    Store = 2,
}

impl Access {
    pub fn page_fault(self) -> Cause {
        match self {
            Access::Fetch => Cause::InstructionPageFault,
            Access::Load => Cause::LoadPageFault,
            Access::Store => Cause::StorePageFault,
        }
    }
    pub fn access_fault(self) -> Cause {
        match self {
            Access::Fetch => Cause::InstructionAccessFault,
            Access::Load => Cause::LoadAccessFault,
            Access::Store => Cause::StoreAccessFault,
        }
    }
}

const PTE_V: u64 = 1 << 0;
const PTE_R: u64 = 1 << 1;
const PTE_W: u64 = 1 << 2;
const PTE_X: u64 = 1 << 3;
const PTE_U: u64 = 1 << 4;
const PTE_A: u64 = 1 << 6;
const PTE_D: u64 = 1 << 7;
const PTE_RESERVED: u64 = 0x3ff << 54;
const PAGE_SHIFT: u64 = 12;

/// What a translation depends on besides the address (fixed between TLB flushes).
#[derive(Clone, Copy, Debug)]
pub struct Context {
    /// Root page table physical page number (`satp.PPN`).
    pub root_ppn: u64,
    /// Page-table levels: 3 for Sv39, 4 for Sv48.
    pub levels: u32,
    /// The effective privilege is U (otherwise S; M never translates).
    pub user: bool,
    pub sum: bool,
    pub mxr: bool,
}

impl Context {
    /// The permission-deciding part of the context, which TLB entries are tagged with.
    pub fn key(&self) -> u8 {
        u8::from(self.user) | u8::from(self.sum) << 1 | u8::from(self.mxr) << 2
    }
}

const TLB_SIZE: usize = 256;

#[derive(Clone, Copy)]
struct Entry {
    vpn: u64,
    ppage: u64,
    /// [`Context::key`] of the translation.
    key: u8,
    /// Level of the leaf PTE it came from (0: a 4 KiB page, 1: 2 MiB, 2: 1 GiB, 3: 512 GiB).
    level: u8,
}

const EMPTY: Entry = Entry {
    vpn: u64::MAX,
    ppage: 0,
    key: 0,
    level: 0,
};

/// Whether a translation of page `vpn` from a leaf PTE at `level` also covers page `page`
/// (both are virtual page numbers): the same superpage.
#[inline]
pub fn covers(vpn: u64, level: u8, page: u64) -> bool {
    (vpn ^ page) >> (9 * u32::from(level)).min(63) == 0
}

/// The superpages (leaf level and number) a TLB may hold translations from, as a Bloom
/// filter: a bit per hash, set when such a translation is cached, cleared only when the TLB
/// is emptied. `sfence.vma va` must drop any cached superpage holding `va`, which takes a scan
/// of the whole TLB; when no cached superpage can hold `va` (the usual case: Linux flushes
/// pages of its 4 KiB mappings, and caches translations from its superpage-mapped kernel
/// image and linear map), only `va`'s own entries are dropped.
#[derive(Clone, Default)]
pub struct Superpages([u64; 16]);

impl Superpages {
    fn bit(vpn: u64, level: u8) -> usize {
        let region = vpn >> (9 * u32::from(level)).min(63);
        let h = (region ^ u64::from(level) << 58).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 54) as usize
    }

    /// Notes a translation of page `vpn` from a leaf PTE at `level` (0: a 4 KiB page, not
    /// noted).
    #[inline]
    pub fn insert(&mut self, vpn: u64, level: u8) {
        if level != 0 {
            let b = Self::bit(vpn, level);
            self.0[b / 64] |= 1 << (b % 64);
        }
    }

    /// Whether a noted superpage may hold page `vpn` ([`covers`]).
    pub fn may_cover(&self, vpn: u64) -> bool {
        self.0 != [0; 16]
            && (1..=4).any(|level| {
                let b = Self::bit(vpn, level);
                self.0[b / 64] >> (b % 64) & 1 != 0
            })
    }

    pub fn clear(&mut self) {
        self.0 = [0; 16];
    }
}

/// Direct-mapped TLBs, one per access kind (a store entry exists only once D is set).
pub struct Tlb {
    entries: Vec<[Entry; TLB_SIZE]>,
    /// The superpages `entries` may hold translations from.
    supers: Superpages,
    pub walks: u64,
    /// Level of the leaf PTE behind the last translation [`Tlb::translate`] returned.
    pub last_level: u8,
    /// What translated code probes inline (flushed with this TLB).
    pub fast: super::fasttlb::FastTlb,
}

impl Default for Tlb {
    fn default() -> Self {
        Self {
            entries: vec![[EMPTY; TLB_SIZE]; 3],
            supers: Superpages::default(),
            walks: 0,
            last_level: 0,
            fast: Default::default(),
        }
    }
}

impl Tlb {
    pub fn flush(&mut self) {
        for t in &mut self.entries {
            t.fill(EMPTY);
        }
        self.supers.clear();
        self.fast.flush();
    }

    /// Forgets the translations of the page of `va` (all contexts and access kinds), including
    /// those of any superpage holding it: what `sfence.vma va` asks for (its leaf PTE may have
    /// changed; RISC-V Privileged ISA 20211203, 4.2.1).
    pub fn flush_page(&mut self, va: u64) {
        let page = va >> PAGE_SHIFT;
        // Without a superpage holding it, only the entries of its own slot can translate it.
        let all = self.supers.may_cover(page);
        let slot = (page as usize) & (TLB_SIZE - 1);
        for t in &mut self.entries {
            let scan = if all { &mut t[..] } else { &mut t[slot..=slot] };
            for e in scan {
                if e.vpn != u64::MAX && covers(e.vpn, e.level, page) {
                    *e = EMPTY;
                }
            }
        }
        self.fast.flush_page(va);
    }

    /// Translates `va` for `access`, walking the page table on a miss.
    #[inline]
    pub fn translate(
        &mut self,
        bus: &mut Bus,
        ctx: &Context,
        va: u64,
        access: Access,
    ) -> Result<u64, Exception> {
        let vpn = va >> PAGE_SHIFT;
        let slot = (vpn as usize) & (TLB_SIZE - 1);
        let key = ctx.key();
        let table = &mut self.entries[access as usize];
        if table[slot].vpn == vpn && table[slot].key == key {
            self.last_level = table[slot].level;
            return Ok(table[slot].ppage | (va & 0xfff));
        }
        self.walks += 1;
        let (pa, level) = walk_inner(bus, ctx, va, access, true)?;
        self.supers.insert(vpn, level);
        self.entries[access as usize][slot] = Entry {
            vpn,
            ppage: pa & !0xfff,
            key,
            level,
        };
        self.last_level = level;
        Ok(pa)
    }
}

/// The Sv39/Sv48 walk of section 4.3.2.
pub fn walk(bus: &mut Bus, ctx: &Context, va: u64, access: Access) -> Result<u64, Exception> {
    walk_inner(bus, ctx, va, access, true).map(|(pa, _)| pa)
}

/// Where an instruction fetch from `va` would go now, without updating A/D bits: `None` on a
/// fault. (Checks that cached code is still mapped the same.)
pub fn probe(bus: &mut Bus, ctx: &Context, va: u64) -> Option<u64> {
    walk_inner(bus, ctx, va, Access::Fetch, false)
        .ok()
        .map(|(pa, _)| pa)
}

/// The walk; also returns the level of the leaf PTE (0 for a 4 KiB page).
fn walk_inner(
    bus: &mut Bus,
    ctx: &Context,
    va: u64,
    access: Access,
    update_ad: bool,
) -> Result<(u64, u8), Exception> {
    let pf = Exception::new(access.page_fault(), va);
    let af = Exception::new(access.access_fault(), va);
    // Bits 63:VALEN must equal bit VALEN-1 (VALEN = 39 or 48).
    let valen = 12 + 9 * ctx.levels.clamp(3, 4);
    let top = (va as i64) >> (valen - 1);
    if top != 0 && top != -1 {
        return Err(pf);
    }
    let mut a = ctx.root_ppn << PAGE_SHIFT;
    let mut level = ctx.levels.clamp(3, 4) - 1;
    let (pte, pte_addr) = loop {
        let vpn_i = (va >> (PAGE_SHIFT + 9 * u64::from(level))) & 0x1ff;
        let pte_addr = a.wrapping_add(vpn_i * 8);
        let pte = bus.read(pte_addr, Width::D).ok_or(af)?;
        if pte & PTE_V == 0 || (pte & PTE_R == 0 && pte & PTE_W != 0) || pte & PTE_RESERVED != 0 {
            return Err(pf);
        }
        if pte & (PTE_R | PTE_X) != 0 {
            break (pte, pte_addr);
        }
        // A pointer to the next level (its A/D/U bits are reserved for software to clear;
        // like QEMU we do not check them).
        if level == 0 {
            return Err(pf);
        }
        level -= 1;
        a = ((pte >> 10) & ((1 << 44) - 1)) << PAGE_SHIFT;
    };
    // Permissions.
    let allowed = match access {
        Access::Fetch => pte & PTE_X != 0,
        Access::Load => pte & PTE_R != 0 || (ctx.mxr && pte & PTE_X != 0),
        Access::Store => pte & PTE_W != 0,
    };
    if !allowed {
        return Err(pf);
    }
    let user_page = pte & PTE_U != 0;
    if ctx.user && !user_page {
        return Err(pf);
    }
    if !ctx.user && user_page && (access == Access::Fetch || !ctx.sum) {
        return Err(pf);
    }
    let ppn = (pte >> 10) & ((1 << 44) - 1);
    // A superpage's low PPN fields must be zero.
    let low_mask = (1u64 << (9 * level)) - 1;
    if ppn & low_mask != 0 {
        return Err(pf);
    }
    // Hardware A/D update.
    let need = PTE_A | if access == Access::Store { PTE_D } else { 0 };
    if update_ad && pte & need != need {
        bus.write(pte_addr, pte | need, Width::D).ok_or(af)?;
    }
    let vpn_low = (va >> PAGE_SHIFT) & low_mask;
    Ok((((ppn | vpn_low) << PAGE_SHIFT) | (va & 0xfff), level as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter knows every page of a noted superpage (at its level), nothing when empty.
    #[test]
    fn superpages_cover_every_page_of_a_noted_superpage() {
        let mut s = Superpages::default();
        assert!(!s.may_cover(0x8_0200));
        // A 2 MiB page (level 1) noted through one of its pages, a 1 GiB page (level 2).
        s.insert(0x8_0234, 1);
        s.insert(0xc_0000 + 0x3_1234, 2);
        for p in [0x8_0200, 0x8_0234, 0x8_03ff] {
            assert!(s.may_cover(p), "{p:#x}");
        }
        for p in [0xc_0000, 0xf_ffff] {
            assert!(s.may_cover(p), "{p:#x}");
        }
        // 4 KiB pages are not noted.
        let mut t = Superpages::default();
        t.insert(0x1234, 0);
        assert!(!t.may_cover(0x1234));
        s.clear();
        assert!(!s.may_cover(0x8_0234));
    }

    const RAM: u64 = 0x8000_0000;
    const ROOT: u64 = RAM + 0x1_0000;

    fn ptr(pa: u64) -> u64 {
        (pa >> 12) << 10 | PTE_V
    }
    fn leaf(pa: u64, perm: u64) -> u64 {
        (pa >> 12) << 10 | PTE_V | perm
    }

    fn ctx(levels: u32) -> Context {
        Context {
            root_ppn: ROOT >> 12,
            levels,
            user: false,
            sum: false,
            mxr: false,
        }
    }

    /// Sv48: VA 0x0000_4012_3456_7000 (VPN[3] = 0x80) through four levels to a 4 KiB page, and a
    /// 1 GiB superpage at level 2.
    #[test]
    fn sv48_four_levels_superpages_and_canonical_addresses() {
        let mut bus = Bus::new(RAM, 1 << 20);
        let (l2, l1, l0, data) = (ROOT + 0x1000, ROOT + 0x2000, ROOT + 0x3000, RAM + 0x8000);
        let va: u64 = 0x0000_4012_3456_7abc;
        let vpn = |i: u32| (va >> (12 + 9 * i)) & 0x1ff;
        let w = |bus: &mut Bus, pa: u64, v: u64| bus.write(pa, v, Width::D).map(|_| ());
        w(&mut bus, ROOT + 8 * vpn(3), ptr(l2)).unwrap_or_default();
        w(&mut bus, l2 + 8 * vpn(2), ptr(l1)).unwrap_or_default();
        w(&mut bus, l1 + 8 * vpn(1), ptr(l0)).unwrap_or_default();
        w(&mut bus, l0 + 8 * vpn(0), leaf(data, PTE_R | PTE_W)).unwrap_or_default();
        let c = ctx(4);
        assert_eq!(walk(&mut bus, &c, va, Access::Load), Ok(data | 0xabc));
        let pte = bus.read(l0 + 8 * vpn(0), Width::D).unwrap_or(0);
        assert_eq!(pte & (PTE_A | PTE_D), PTE_A, "a load sets A only");
        assert_eq!(walk(&mut bus, &c, va, Access::Store), Ok(data | 0xabc));
        let pte = bus.read(l0 + 8 * vpn(0), Width::D).unwrap_or(0);
        assert_eq!(pte & (PTE_A | PTE_D), PTE_A | PTE_D);
        assert_eq!(
            walk(&mut bus, &c, va, Access::Fetch).map_err(|e| e.cause),
            Err(Cause::InstructionPageFault),
            "not executable"
        );
        // Under Sv39 the same address is not canonical (bits 63:39 differ from bit 38).
        assert_eq!(
            walk(&mut bus, &ctx(3), va, Access::Load).map_err(|e| e.cause),
            Err(Cause::LoadPageFault)
        );
        // Sv48: bits 63:48 must copy bit 47.
        let bad = va | 1 << 50;
        assert_eq!(
            walk(&mut bus, &c, bad, Access::Load),
            Err(Exception::new(Cause::LoadPageFault, bad))
        );
        // A 1 GiB superpage at level 2 (VPN[3] = 0, VPN[2] = 2).
        let l2b = ROOT + 0x4000;
        w(&mut bus, ROOT, ptr(l2b)).unwrap_or_default();
        w(&mut bus, l2b + 16, leaf(RAM, PTE_R | PTE_X | PTE_A)).unwrap_or_default();
        assert_eq!(
            walk(&mut bus, &c, 0x8000_1234, Access::Fetch),
            Ok(RAM + 0x1234)
        );
        // A misaligned superpage (low PPN bits set) is a page fault.
        w(&mut bus, l2b + 16, leaf(RAM + 0x1000, PTE_R | PTE_A)).unwrap_or_default();
        assert_eq!(
            walk(&mut bus, &c, 0x8000_1234, Access::Load).map_err(|e| e.cause),
            Err(Cause::LoadPageFault)
        );
    }

    /// A cached translation is used only under the privilege/SUM/MXR it was made with: no
    /// flush is needed when they change, and none may be skipped.
    #[test]
    fn tlb_entries_are_tagged_with_privilege_sum_and_mxr() {
        let mut bus = Bus::new(RAM, 1 << 20);
        let (l1, l0) = (ROOT + 0x1000, ROOT + 0x2000);
        let (upage, xpage) = (RAM + 0x8000, RAM + 0x9000);
        let w = |bus: &mut Bus, pa: u64, v: u64| bus.write(pa, v, Width::D).map(|_| ());
        // Sv39: VA 0x1000 -> a U page (R W), VA 0x2000 -> an S execute-only page.
        w(&mut bus, ROOT, ptr(l1)).unwrap_or_default();
        w(&mut bus, l1, ptr(l0)).unwrap_or_default();
        w(&mut bus, l0 + 8, leaf(upage, PTE_U | PTE_R | PTE_W)).unwrap_or_default();
        w(&mut bus, l0 + 16, leaf(xpage, PTE_X)).unwrap_or_default();
        let mut tlb = Tlb::default();
        let s = ctx(3);
        let u = Context { user: true, ..s };
        let s_sum = Context { sum: true, ..s };
        let s_mxr = Context { mxr: true, ..s };
        let load = |tlb: &mut Tlb, bus: &mut Bus, c: &Context, va: u64| {
            tlb.translate(bus, c, va, Access::Load).map_err(|e| e.cause)
        };
        assert_eq!(load(&mut tlb, &mut bus, &u, 0x1008), Ok(upage + 8));
        let walks = tlb.walks;
        assert_eq!(load(&mut tlb, &mut bus, &u, 0x1010), Ok(upage + 0x10));
        assert_eq!(
            tlb.walks, walks,
            "a hit under the same context needs no walk"
        );
        assert_eq!(load(&mut tlb, &mut bus, &s_sum, 0x1008), Ok(upage + 8));
        // The entries made for U and for S with SUM do not open the U page to S without SUM.
        assert_eq!(
            load(&mut tlb, &mut bus, &s, 0x1008),
            Err(Cause::LoadPageFault)
        );
        assert_eq!(load(&mut tlb, &mut bus, &s_mxr, 0x2010), Ok(xpage + 0x10));
        assert_eq!(
            load(&mut tlb, &mut bus, &s, 0x2010),
            Err(Cause::LoadPageFault),
            "execute-only is readable only with MXR"
        );
        assert_eq!(
            load(&mut tlb, &mut bus, &u, 0x2010),
            Err(Cause::LoadPageFault)
        );
    }
}
