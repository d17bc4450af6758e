//! The software TLB translated code probes inline ([`translator::interp::SoftTlb`], the idea
//! of QEMU's softmmu TLB): guest virtual page to host address of a RAM page, one pair of
//! direct-mapped tables (loads, stores) per translation context.
//!
//! It caches only what the hart's own memory path would do without side effects: a load entry
//! for a RAM page the MMU allowed a load from, a store entry for a RAM page the MMU allowed a
//! store to (so its PTE already has A and D set, RISC-V Privileged ISA 20211203, 4.3.1) that
//! holds no translated code and not the HTIF `tohost` word. Devices, misaligned accesses and
//! everything else take the hart's path. Entries are per context (effective privilege U or S
//! with SUM and MXR, or untranslated), so a privilege or `mstatus` change only selects other
//! tables; the hart flushes them with its TLB (`satp` writes, `sfence.vma`) and drops store
//! entries when a page becomes a code page.

use translator::interp::{SoftTlb, SoftTlbEntry};

use super::mmu::Superpages;

/// Entries per table.
pub const SIZE: usize = 512;
/// Contexts: the 8 [`super::mmu::Context`] keys, then untranslated (bare, or M-mode).
pub const KEYS: usize = 9;
pub const UNTRANSLATED: usize = 8;

pub struct FastTlb {
    /// `2 * KEYS` tables: loads of context k at `2k`, stores at `2k + 1`. Boxed: translated
    /// code holds their addresses.
    tables: Box<[[SoftTlbEntry; SIZE]]>,
    /// The addresses of the current context's load and store tables (read by translated code).
    current: Box<[u64; 2]>,
    key: usize,
    /// Tables that may hold entries (bit per table), so a flush clears only those.
    used: u32,
    /// Per table entry: the level of the leaf PTE its translation came from (0: a 4 KiB page).
    levels: Box<[[u8; SIZE]]>,
    /// Tables that may hold entries from superpages (bit per table).
    supers: u32,
    /// The superpages they may hold entries from.
    superpages: Superpages,
}

impl Default for FastTlb {
    fn default() -> Self {
        let tables = vec![[SoftTlbEntry::EMPTY; SIZE]; 2 * KEYS].into_boxed_slice();
        let mut t = Self {
            tables,
            current: Box::new([0; 2]),
            key: UNTRANSLATED,
            used: 0,
            levels: vec![[0; SIZE]; 2 * KEYS].into_boxed_slice(),
            supers: 0,
            superpages: Superpages::default(),
        };
        t.select(UNTRANSLATED);
        t
    }
}

impl FastTlb {
    /// Makes context `key` (a [`super::mmu::Context`] key, or [`UNTRANSLATED`]) current.
    #[inline]
    pub fn select(&mut self, key: usize) {
        let key = key.min(KEYS - 1);
        self.key = key;
        self.current[0] = self.tables[2 * key].as_ptr() as u64;
        self.current[1] = self.tables[2 * key + 1].as_ptr() as u64;
    }

    /// Forgets every entry.
    pub fn flush(&mut self) {
        for (i, t) in self.tables.iter_mut().enumerate() {
            if self.used >> i & 1 != 0 {
                t.fill(SoftTlbEntry::EMPTY);
            }
        }
        self.used = 0;
        self.supers = 0;
        self.superpages.clear();
    }

    /// Forgets the entries for the page of `va` and those from a superpage holding it, in the
    /// translated contexts (see [`super::mmu::Tlb::flush_page`]).
    pub fn flush_page(&mut self, va: u64) {
        let page = va >> 12;
        let slot = (page as usize) & (SIZE - 1);
        let supers = if self.superpages.may_cover(page) {
            self.supers
        } else {
            0
        };
        for (i, t) in self.tables.iter_mut().enumerate() {
            if self.used >> i & 1 == 0 || i / 2 == UNTRANSLATED {
                continue;
            }
            if t[slot].tag == page << 12 {
                t[slot] = SoftTlbEntry::EMPTY;
            }
            if supers >> i & 1 != 0 {
                for (e, &level) in t.iter_mut().zip(self.levels[i].iter()) {
                    if level != 0 && super::mmu::covers(e.tag >> 12, level, page) {
                        *e = SoftTlbEntry::EMPTY;
                    }
                }
            }
        }
    }

    /// Forgets every store entry.
    pub fn flush_stores(&mut self) {
        for (i, t) in self.tables.iter_mut().enumerate() {
            if i % 2 == 1 && self.used >> i & 1 != 0 {
                t.fill(SoftTlbEntry::EMPTY);
                self.used &= !(1 << i);
                self.supers &= !(1 << i);
            }
        }
    }

    /// Records that in the current context guest page `va` (any address in it) is the host
    /// page at `host` for loads or for stores, translated through a leaf PTE at `level` (0 for
    /// a 4 KiB page; any value when untranslated).
    #[inline]
    pub fn fill(&mut self, store: bool, va: u64, host: u64, level: u8) {
        let page = va & !0xfff;
        let t = 2 * self.key + usize::from(store);
        let slot = ((va >> 12) as usize) & (SIZE - 1);
        if let Some(e) = self.tables.get_mut(t).and_then(|t| t.get_mut(slot)) {
            *e = SoftTlbEntry {
                tag: page,
                addend: host.wrapping_sub(page),
            };
            self.used |= 1 << t;
            if let Some(l) = self.levels.get_mut(t).and_then(|l| l.get_mut(slot)) {
                *l = level;
            }
            if level != 0 {
                self.supers |= 1 << t;
                if self.key != UNTRANSLATED {
                    self.superpages.insert(va >> 12, level);
                }
            }
        }
    }

    /// The host address the current tables give `va`, if any (for tests).
    #[cfg(test)]
    pub fn lookup(&self, store: bool, va: u64) -> Option<u64> {
        let t = &self.tables[2 * self.key + usize::from(store)];
        let e = t[((va >> 12) as usize) & (SIZE - 1)];
        (e.tag == va & !0xfff).then(|| e.tag.wrapping_add(e.addend) | (va & 0xfff))
    }

    /// The description translated code uses.
    pub fn soft_tlb(&self) -> SoftTlb {
        // SAFETY: `current` is boxed and lives as long as `self` (the hart), and always holds
        // the addresses of two of the boxed tables of SIZE entries; the hart fills an entry
        // only with a RAM page the access may reach without side effects (see `Hart::
        // load_aligned`/`store_aligned`), and RAM is never reallocated while the hart lives.
        unsafe { SoftTlb::new(self.current.as_ptr(), (SIZE - 1) as u64) }
    }
}

#[cfg(test)]
mod tests {
    use translator::emit::{SystemOp, Width};
    use translator::interp::Env;
    use translator::{Cause, CpuState};

    use super::super::{Bus, Hart, Priv};

    const RAM: u64 = 0x8000_0000;
    const ROOT: u64 = RAM + 0x1_0000;
    const PTE_V: u64 = 1;
    const PTE_R: u64 = 2;
    const PTE_W: u64 = 4;
    const PTE_X: u64 = 8;
    const PTE_U: u64 = 16;
    const PTE_AD: u64 = 64 | 128;
    const SUM: u64 = 1 << 18;

    fn w64(h: &mut Hart, pa: u64, v: u64) {
        assert_eq!(h.bus.write(pa, v, Width::D), Some(()));
    }

    /// Sv39: VA 0x1000 -> a U page (RW), VA 0x2000 -> an S page (RW), VA 0x3000 -> an S page
    /// holding code; S-mode.
    fn paged_hart() -> Hart {
        let mut h = Hart::new(Bus::new(RAM, 1 << 20));
        let (l1, l0) = (ROOT + 0x1000, ROOT + 0x2000);
        let ptr = |pa: u64| (pa >> 12) << 10 | PTE_V;
        let leaf = |pa: u64, p: u64| (pa >> 12) << 10 | PTE_V | PTE_AD | p;
        w64(&mut h, ROOT, ptr(l1));
        w64(&mut h, l1, ptr(l0));
        w64(&mut h, l0 + 8, leaf(RAM + 0x8000, PTE_U | PTE_R | PTE_W));
        w64(&mut h, l0 + 16, leaf(RAM + 0x9000, PTE_R | PTE_W));
        w64(&mut h, l0 + 24, leaf(RAM + 0xa000, PTE_R | PTE_W | PTE_X));
        let cpu = CpuState::default();
        assert_eq!(h.csr_write(&cpu, 0x180, 8 << 60 | ROOT >> 12), Ok(()));
        h.set_privilege(Priv::S);
        h
    }

    /// `sfence.vma va` drops the translations of `va`'s page, all of a superpage holding it,
    /// and no others (so they need no new walk).
    #[test]
    fn sfence_vma_of_a_page_drops_that_page_or_its_superpage_only() {
        let mut h = Hart::new(Bus::new(RAM, 4 << 20));
        let (l1, l0) = (ROOT + 0x1000, ROOT + 0x2000);
        let ptr = |pa: u64| (pa >> 12) << 10 | PTE_V;
        let leaf = |pa: u64| (pa >> 12) << 10 | PTE_V | PTE_AD | PTE_R | PTE_W;
        w64(&mut h, ROOT, ptr(l1));
        w64(&mut h, l1, ptr(l0));
        // VA 0x1000 and 0x2000: 4 KiB pages; VA 0x20_0000: a 2 MiB page at RAM + 2 MiB.
        w64(&mut h, l0 + 8, leaf(RAM + 0x8000));
        w64(&mut h, l0 + 16, leaf(RAM + 0x9000));
        w64(&mut h, l1 + 8, leaf(RAM + 0x20_0000));
        for (pa, v) in [
            (RAM + 0x8000, 1),
            (RAM + 0x9000, 2),
            (RAM + 0xa000, 3),
            (RAM + 0x20_3000, 4),
            (RAM + 0x20_5000, 5),
            (RAM + 0x3000, 6),
        ] {
            w64(&mut h, pa, v);
        }
        let cpu = CpuState::default();
        assert_eq!(h.csr_write(&cpu, 0x180, 8 << 60 | ROOT >> 12), Ok(()));
        h.set_privilege(Priv::S);
        let sfence = |h: &mut Hart, va: u64| {
            let _ = h.system(&mut CpuState::default(), SystemOp::SfenceVma, va, 0);
        };
        for (va, v) in [(0x1000, 1), (0x2000, 2), (0x20_3000, 4), (0x20_5000, 5)] {
            assert_eq!(h.load(va, Width::D), Ok(v));
            assert!(h.tlb.fast.lookup(false, va).is_some());
        }
        // Remap the page at 0x2000: after sfence.vma of it, loads see the new page; the
        // other entries stay.
        w64(&mut h, l0 + 16, leaf(RAM + 0xa000));
        let walks = h.tlb.walks;
        sfence(&mut h, 0x2008);
        assert_eq!(h.tlb.fast.lookup(false, 0x2000), None);
        assert_eq!(h.load(0x2000, Width::D), Ok(3));
        for va in [0x1000, 0x20_3000, 0x20_5000] {
            assert!(h.tlb.fast.lookup(false, va).is_some(), "{va:#x} kept");
        }
        assert_eq!(
            h.tlb.walks,
            walks + 1,
            "only the remapped page walked again"
        );
        // Remap the superpage to RAM; sfence.vma of one of its pages drops all of it.
        w64(&mut h, l1 + 8, leaf(RAM));
        sfence(&mut h, 0x20_5000);
        assert_eq!(h.tlb.fast.lookup(false, 0x20_3000), None);
        assert_eq!(
            h.load(0x20_3000, Width::D),
            Ok(6),
            "another page of the superpage"
        );
        assert!(h.tlb.fast.lookup(false, 0x1000).is_some());
        assert_eq!(h.load(0x1000, Width::D), Ok(1));
        // sfence.vma with x0: everything.
        sfence(&mut h, 0);
        assert_eq!(h.tlb.fast.lookup(false, 0x1000), None);
    }

    fn host(h: &mut Hart, pa: u64) -> u64 {
        h.bus.ram_page_host(pa).unwrap_or(0) | (pa & 0xfff)
    }

    /// What the inline path may use is what the hart's own path allows, under the context it
    /// was allowed in: SUM, privilege and satp changes select or flush tables; devices never
    /// get entries.
    #[test]
    fn inline_entries_follow_the_translation_context() {
        let mut h = paged_hart();
        let fast = |h: &Hart, store: bool, va: u64| h.tlb.fast.lookup(store, va);
        // S may not load from the U page without SUM: no entry either.
        assert_eq!(
            h.load(0x1008, Width::D).map_err(|e| e.cause),
            Err(Cause::LoadPageFault)
        );
        assert_eq!(fast(&h, false, 0x1008), None);
        // With SUM it may, and the entry appears in the S+SUM tables only.
        h.set_mstatus(SUM);
        assert_eq!(h.load(0x1008, Width::D), Ok(0));
        let want = host(&mut h, RAM + 0x8008);
        assert_eq!(fast(&h, false, 0x1008), Some(want));
        assert_eq!(fast(&h, true, 0x1008), None, "a load makes no store entry");
        h.set_mstatus(0);
        assert_eq!(fast(&h, false, 0x1008), None, "SUM cleared: other tables");
        h.set_mstatus(SUM);
        assert_eq!(fast(&h, false, 0x1008), Some(want), "and back");
        // Stores fill the store table; satp writes flush everything.
        assert_eq!(h.store(0x2010, 7, Width::D), Ok(()));
        assert_eq!(fast(&h, true, 0x2010), Some(host(&mut h, RAM + 0x9010)));
        let cpu = CpuState::default();
        assert_eq!(h.csr_write(&cpu, 0x180, 8 << 60 | ROOT >> 12), Ok(()));
        assert_eq!(fast(&h, false, 0x1008), None);
        assert_eq!(fast(&h, true, 0x2010), None);
        // M-mode is untranslated: its own tables, physical addresses.
        h.set_privilege(Priv::M);
        assert_eq!(fast(&h, true, 0x2010), None);
        assert_eq!(h.load(RAM + 0x9010, Width::D), Ok(7));
        assert_eq!(
            fast(&h, false, RAM + 0x9010),
            Some(host(&mut h, RAM + 0x9010))
        );
        // A device (the CLINT's mtimecmp) is never accessed inline.
        assert_eq!(h.store(0x200_4000, 5, Width::D), Ok(()));
        assert_eq!(h.load(0x200_4000, Width::D), Ok(5));
        assert_eq!(fast(&h, false, 0x200_4000), None);
        assert_eq!(fast(&h, true, 0x200_4000), None);
    }

    /// Stores to a page code was fetched from, or to HTIF's `tohost` page, must reach the hart
    /// (self-modifying code is noted, a command runs): they never get store entries, and a
    /// page that becomes a code page loses its store entries.
    #[test]
    fn code_pages_and_tohost_get_no_inline_stores() {
        let mut h = paged_hart();
        let fast = |h: &Hart, va: u64| h.tlb.fast.lookup(true, va);
        assert_eq!(h.store(0x3000, 0x13, Width::W), Ok(()));
        assert!(fast(&h, 0x3000).is_some());
        assert_eq!(h.fetch16(0x3000), Ok(0x13));
        assert_eq!(fast(&h, 0x3000), None, "the page now holds code");
        assert_eq!(h.store(0x3004, 0x13, Width::W), Ok(()));
        assert_eq!(fast(&h, 0x3004), None);
        assert_eq!(h.load(0x3004, Width::W), Ok(0x13));
        assert!(h.tlb.fast.lookup(false, 0x3004).is_some(), "loads are fine");
        // tohost, untranslated.
        h.set_privilege(Priv::M);
        h.bus.htif.tohost = Some(RAM + 0x5000);
        assert_eq!(h.store(RAM + 0x5008, 1, Width::D), Ok(()));
        assert_eq!(fast(&h, RAM + 0x5008), None);
        assert_eq!(h.store(RAM + 0x6008, 1, Width::D), Ok(()));
        assert!(fast(&h, RAM + 0x6008).is_some());
    }
}
