//! The physical address space of the bare-metal machine: RAM, the HTIF words in it and a
//! CLINT (RISC-V Privileged ISA 20211203, section 3.6 physical memory attributes: anything not
//! mapped is an access fault; CLINT layout as in SiFive's and QEMU's `virt`/`spike` machines).
//! In system mode (`xlate boot`) the bus also holds the `virt` board's devices
//! ([`crate::devices::Board`]) and the CLINT's time runs on the host's monotonic clock.

use std::time::Instant;

use translator::emit::{AmoOp, Width};
use translator::interp::amo_apply;

use super::htif::{HostMem, Htif};
use crate::devices::virtio::RamDma;
use crate::devices::Board;

/// Where RAM starts on the riscv-tests (Spike) memory map.
pub const RAM_BASE: u64 = 0x8000_0000;
/// Default RAM size.
pub const DEFAULT_RAM_SIZE: u64 = 256 << 20;
/// The CLINT: `msip` at +0, `mtimecmp` at +0x4000, `mtime` at +0xbff8.
pub const CLINT_BASE: u64 = 0x200_0000;
pub const CLINT_SIZE: u64 = 0x1_0000;

/// The core-local interruptor of hart 0.
#[derive(Debug)]
pub struct Clint {
    /// `msip` bit 0: the machine software interrupt of hart 0.
    pub msip: bool,
    pub mtimecmp: u64,
    /// Added to the time base (the instruction count) to give `mtime`; writes to `mtime` set it.
    pub mtime_offset: u64,
    /// The time base as last told by the run loop (instructions retired), unless `host_clock`.
    pub now: u64,
    /// When set, the time base is the host's monotonic clock since this instant, in ticks of
    /// [`TIMEBASE_HZ`].
    pub host_clock: Option<Instant>,
    /// The supervisor timer compare value the built-in SBI firmware programs (`sbi_set_timer`):
    /// STIP is pending while `mtime >= stimecmp`.
    pub stimecmp: u64,
}

/// The timebase of the system-mode machine (as QEMU's `virt`): 10 MHz.
pub const TIMEBASE_HZ: u64 = 10_000_000;

impl Default for Clint {
    fn default() -> Self {
        Self {
            msip: false,
            mtimecmp: u64::MAX,
            mtime_offset: 0,
            now: 0,
            host_clock: None,
            stimecmp: u64::MAX,
        }
    }
}

impl Clint {
    fn base(&self) -> u64 {
        match self.host_clock {
            Some(t) => {
                let ns = t.elapsed().as_nanos();
                (ns / u128::from(1_000_000_000 / TIMEBASE_HZ)) as u64
            }
            None => self.now,
        }
    }
    pub fn mtime(&self) -> u64 {
        self.base().wrapping_add(self.mtime_offset)
    }
    /// Host time until `mtime` reaches `deadline` (zero when it has).
    pub fn until(&self, deadline: u64) -> std::time::Duration {
        let ticks = deadline.saturating_sub(self.mtime());
        std::time::Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / TIMEBASE_HZ))
    }
    fn read(&self, off: u64, w: Width) -> Option<u64> {
        let (reg, base) = match off {
            0..=3 => (u64::from(self.msip), 0),
            0x4000..=0x4007 => (self.mtimecmp, 0x4000),
            0xbff8..=0xbfff => (self.mtime(), 0xbff8),
            _ => return Some(0),
        };
        let shift = (off - base) * 8;
        Some(mask(reg >> shift, w))
    }
    fn write(&mut self, off: u64, val: u64, w: Width) {
        let merge = |old: u64, base: u64| {
            let shift = (off - base) * 8;
            let m = mask(u64::MAX, w) << shift;
            (old & !m) | ((val << shift) & m)
        };
        match off {
            0..=3 => self.msip = merge(u64::from(self.msip), 0) & 1 != 0,
            0x4000..=0x4007 => self.mtimecmp = merge(self.mtimecmp, 0x4000),
            0xbff8..=0xbfff => {
                let t = merge(self.mtime(), 0xbff8);
                self.mtime_offset = t.wrapping_sub(self.base());
            }
            _ => {}
        }
    }
}

fn mask(v: u64, w: Width) -> u64 {
    match w {
        Width::D => v,
        _ => v & ((1u64 << (w.bytes() * 8)) - 1),
    }
}

/// RAM plus devices. Every access is bounds-checked; `None` means "nothing there" and becomes
/// an access fault.
pub struct Bus {
    ram: Vec<u8>,
    pub ram_base: u64,
    pub htif: Htif,
    pub clint: Clint,
    /// The `virt` board's devices (system mode only).
    pub board: Option<Box<Board>>,
    /// RAM ranges devices wrote (DMA) since the hart last looked (see [`Bus::take_dma_writes`]).
    dma_written: Vec<(u64, u64)>,
}

struct Ram<'a> {
    ram: &'a mut [u8],
    base: u64,
}

fn ram_range(len_ram: usize, base: u64, pa: u64, len: u64) -> Option<std::ops::Range<usize>> {
    let off = pa.checked_sub(base)?;
    let end = off.checked_add(len)?;
    if end > len_ram as u64 {
        return None;
    }
    Some(off as usize..end as usize)
}

impl HostMem for Ram<'_> {
    fn read_u64(&self, pa: u64) -> Option<u64> {
        let r = ram_range(self.ram.len(), self.base, pa, 8)?;
        let b: [u8; 8] = self.ram.get(r)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    }
    fn write_u64(&mut self, pa: u64, v: u64) -> Option<()> {
        let r = ram_range(self.ram.len(), self.base, pa, 8)?;
        self.ram.get_mut(r)?.copy_from_slice(&v.to_le_bytes());
        Some(())
    }
    fn read_bytes(&self, pa: u64, len: u64) -> Option<&[u8]> {
        let r = ram_range(self.ram.len(), self.base, pa, len)?;
        self.ram.get(r)
    }
}

/// Asks the host to back the whole pages of `ram` with transparent huge pages, as qemu does
/// for guest RAM: a booting kernel touches most of its memory, and with 4 KiB host pages its
/// accesses keep missing the host TLB (Linux boots about 2% faster). A hint only: the
/// contents are unchanged and a host refusing it is ignored.
fn advise_huge_pages(ram: &[u8]) {
    let p = ram.as_ptr() as usize;
    let start = p.next_multiple_of(4096);
    let end = (p + ram.len()) & !4095;
    if end > start {
        // SAFETY: `[start, end)` lies inside `ram`'s allocation, which we own; the advice does
        // not change its contents or accessibility.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

impl Bus {
    /// RAM of `size` bytes at `base` (allocated zeroed; the host maps pages lazily).
    pub fn new(base: u64, size: u64) -> Self {
        let ram = vec![0u8; usize::try_from(size).unwrap_or(usize::MAX >> 1)];
        advise_huge_pages(&ram);
        Self {
            ram,
            ram_base: base,
            htif: Htif::default(),
            clint: Clint::default(),
            board: None,
            dma_written: Vec::new(),
        }
    }

    pub fn ram_size(&self) -> u64 {
        self.ram.len() as u64
    }

    #[inline(always)]
    fn range(&self, pa: u64, len: u64) -> Option<std::ops::Range<usize>> {
        ram_range(self.ram.len(), self.ram_base, pa, len)
    }

    /// Whether `pa..pa+len` is RAM.
    pub fn is_ram(&self, pa: u64, len: u64) -> bool {
        self.range(pa, len).is_some()
    }

    /// The host address of the RAM page holding `pa`, if it is a whole RAM page. Accesses
    /// through it must stay inside the page; RAM is never reallocated while the bus lives.
    pub fn ram_page_host(&mut self, pa: u64) -> Option<u64> {
        let page = pa & !0xfff;
        let r = self.range(page, 0x1000)?;
        Some(self.ram.as_mut_ptr() as u64 + r.start as u64)
    }

    /// Whether instructions may be fetched from `pa..pa+len` (RAM or the boot ROM).
    pub fn is_executable(&self, pa: u64, len: u64) -> bool {
        self.is_ram(pa, len) || self.board.as_ref().is_some_and(|b| b.is_rom(pa, len))
    }

    /// Reads `w` bytes, zero-extended (a device read may have side effects).
    #[inline]
    pub fn read(&mut self, pa: u64, w: Width) -> Option<u64> {
        if let Some(r) = self.range(pa, w.bytes()) {
            // Fixed-size copies (a variable-length one is a memmove call per access).
            let s = self.ram.get(r)?;
            return Some(match w {
                Width::B => u64::from(*s.first()?),
                Width::H => u64::from(u16::from_le_bytes(s.try_into().ok()?)),
                Width::W => u64::from(u32::from_le_bytes(s.try_into().ok()?)),
                Width::D => u64::from_le_bytes(s.try_into().ok()?),
            });
        }
        let off = pa.wrapping_sub(CLINT_BASE);
        if off < CLINT_SIZE && off.wrapping_add(w.bytes()) <= CLINT_SIZE {
            return self.clint.read(off, w);
        }
        self.board.as_mut()?.read(pa, w.bytes())
    }

    /// Writes the low `w` bytes of `val`; a store completing `tohost` runs the HTIF command.
    #[inline]
    pub fn write(&mut self, pa: u64, val: u64, w: Width) -> Option<()> {
        if let Some(r) = self.range(pa, w.bytes()) {
            let d = self.ram.get_mut(r)?;
            match w {
                Width::B => *d.first_mut()? = val as u8,
                Width::H => d.copy_from_slice(&(val as u16).to_le_bytes()),
                Width::W => d.copy_from_slice(&(val as u32).to_le_bytes()),
                Width::D => d.copy_from_slice(&val.to_le_bytes()),
            }
            if self.htif.completes_tohost(pa, w.bytes()) {
                let mut ram = Ram {
                    ram: &mut self.ram,
                    base: self.ram_base,
                };
                self.htif.command(&mut ram);
            }
            return Some(());
        }
        let off = pa.wrapping_sub(CLINT_BASE);
        if off < CLINT_SIZE && off.wrapping_add(w.bytes()) <= CLINT_SIZE {
            self.clint.write(off, val, w);
            return Some(());
        }
        let board = self.board.as_mut()?;
        let mut dma = RamDma::new(&mut self.ram, self.ram_base);
        let r = board.write_dma(pa, val, w.bytes(), &mut dma);
        self.dma_written.append(&mut dma.written);
        r
    }

    /// The RAM ranges (start, length) devices wrote since the last call.
    pub fn take_dma_writes(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.dma_written)
    }

    /// Read-modify-write (one hart: no other agent can intervene). Returns the old value.
    pub fn amo(&mut self, op: AmoOp, pa: u64, val: u64, w: Width) -> Option<u64> {
        let old = self.read(pa, w)?;
        self.write(pa, amo_apply(op, old, val, w), w)?;
        Some(old)
    }

    /// Bytes of RAM (for loading programs and reading signatures).
    pub fn ram_slice(&self, pa: u64, len: u64) -> Option<&[u8]> {
        self.ram.get(self.range(pa, len)?)
    }

    pub fn ram_slice_mut(&mut self, pa: u64, len: u64) -> Option<&mut [u8]> {
        let r = self.range(pa, len)?;
        self.ram.get_mut(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_is_advised_huge_pages() {
        let bus = Bus::new(0x8000_0000, 8 << 20);
        let at = bus.ram.as_ptr() as u64 + (4 << 20);
        let flags = crate::mem::host_vm_flags(at).expect("a host mapping holds the RAM");
        assert!(flags.iter().any(|f| f == "hg"), "{flags:?}");
        assert!(bus.ram.iter().all(|&b| b == 0));
    }
}
