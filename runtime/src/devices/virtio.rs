//! The virtio-mmio transport, modern register layout (Virtio 1.2, section 4.2.2: version 2,
//! VIRTIO_F_VERSION_1) with split virtqueues (section 2.7, indirect descriptors 2.7.5.3), as
//! QEMU's `virt` board places it: slots of 0x1000 bytes from 0x1000_1000, PLIC sources 1..8.
//! The device behind a slot ([`VirtioDevice`], e.g. [`super::virtio_blk::VirtioBlk`]) sees
//! requests as descriptor chains; every guest address it touches goes through [`Dma`], which
//! checks it against RAM. A malformed ring or chain sets DEVICE_NEEDS_RESET (section 2.1.2)
//! and raises a configuration change interrupt; it never panics the host.

use std::fmt;

/// "virt" in little endian.
pub const MAGIC: u32 = 0x7472_6976;
/// The modern (virtio 1.x) register layout.
pub const VERSION: u32 = 2;
/// The vendor ID QEMU reports ("QEMU"); guests do not depend on it.
pub const VENDOR_ID: u32 = 0x554d_4551;

// Register offsets (section 4.2.2, table "MMIO Device Register Layout").
const R_MAGIC: u64 = 0x000;
const R_VERSION: u64 = 0x004;
const R_DEVICE_ID: u64 = 0x008;
const R_VENDOR_ID: u64 = 0x00c;
const R_DEVICE_FEATURES: u64 = 0x010;
const R_DEVICE_FEATURES_SEL: u64 = 0x014;
const R_DRIVER_FEATURES: u64 = 0x020;
const R_DRIVER_FEATURES_SEL: u64 = 0x024;
const R_QUEUE_SEL: u64 = 0x030;
const R_QUEUE_NUM_MAX: u64 = 0x034;
const R_QUEUE_NUM: u64 = 0x038;
const R_QUEUE_READY: u64 = 0x044;
const R_QUEUE_NOTIFY: u64 = 0x050;
const R_INTERRUPT_STATUS: u64 = 0x060;
const R_INTERRUPT_ACK: u64 = 0x064;
const R_STATUS: u64 = 0x070;
const R_QUEUE_DESC_LOW: u64 = 0x080;
const R_QUEUE_DESC_HIGH: u64 = 0x084;
const R_QUEUE_DRIVER_LOW: u64 = 0x090;
const R_QUEUE_DRIVER_HIGH: u64 = 0x094;
const R_QUEUE_DEVICE_LOW: u64 = 0x0a0;
const R_QUEUE_DEVICE_HIGH: u64 = 0x0a4;
const R_SHM_LEN_LOW: u64 = 0x0b0;
const R_SHM_BASE_HIGH: u64 = 0x0bc;
const R_CONFIG_GENERATION: u64 = 0x0fc;
/// Device-specific configuration space starts here.
pub const CONFIG: u64 = 0x100;

/// Feature bits of the transport and the rings (section 6).
pub const F_INDIRECT_DESC: u64 = 1 << 28;
pub const F_VERSION_1: u64 = 1 << 32;

/// Device status bits (section 2.1).
pub const S_ACKNOWLEDGE: u32 = 1;
pub const S_DRIVER: u32 = 2;
pub const S_DRIVER_OK: u32 = 4;
pub const S_FEATURES_OK: u32 = 8;
pub const S_NEEDS_RESET: u32 = 0x40;
pub const S_FAILED: u32 = 0x80;

/// Interrupt status bits: a used buffer, a configuration change.
pub const INT_USED: u32 = 1;
pub const INT_CONFIG: u32 = 2;

/// Descriptor flags (section 2.7.5).
pub const DESC_F_NEXT: u16 = 1;
pub const DESC_F_WRITE: u16 = 2;
pub const DESC_F_INDIRECT: u16 = 4;
/// Available ring flag: the driver does not want used-buffer interrupts.
pub const AVAIL_F_NO_INTERRUPT: u16 = 1;

/// Largest indirect descriptor table accepted (entries).
pub const MAX_INDIRECT: u32 = 1024;

/// Guest physical memory as a device sees it. Both calls fail (`None`) unless the whole range
/// is RAM; nothing is copied then.
pub trait Dma {
    fn read(&mut self, pa: u64, buf: &mut [u8]) -> Option<()>;
    fn write(&mut self, pa: u64, data: &[u8]) -> Option<()>;
}

/// No memory at all (device accesses outside a bus, e.g. through [`super::Board::write`]).
pub struct NoDma;

impl Dma for NoDma {
    fn read(&mut self, _: u64, _: &mut [u8]) -> Option<()> {
        None
    }
    fn write(&mut self, _: u64, _: &[u8]) -> Option<()> {
        None
    }
}

/// RAM as one byte slice starting at physical `base`; remembers the ranges written (the hart
/// treats them like stores, for its cached code).
pub struct RamDma<'a> {
    pub ram: &'a mut [u8],
    pub base: u64,
    pub written: Vec<(u64, u64)>,
}

impl<'a> RamDma<'a> {
    pub fn new(ram: &'a mut [u8], base: u64) -> Self {
        Self {
            ram,
            base,
            written: Vec::new(),
        }
    }

    fn range(&self, pa: u64, len: usize) -> Option<std::ops::Range<usize>> {
        let off = usize::try_from(pa.checked_sub(self.base)?).ok()?;
        let end = off.checked_add(len)?;
        (end <= self.ram.len()).then_some(off..end)
    }
}

impl Dma for RamDma<'_> {
    fn read(&mut self, pa: u64, buf: &mut [u8]) -> Option<()> {
        let r = self.range(pa, buf.len())?;
        buf.copy_from_slice(self.ram.get(r)?);
        Some(())
    }
    fn write(&mut self, pa: u64, data: &[u8]) -> Option<()> {
        let r = self.range(pa, data.len())?;
        self.ram.get_mut(r)?.copy_from_slice(data);
        if !data.is_empty() {
            self.written.push((pa, data.len() as u64));
        }
        Some(())
    }
}

fn read_u16(mem: &mut dyn Dma, pa: u64) -> Option<u16> {
    let mut b = [0; 2];
    mem.read(pa, &mut b)?;
    Some(u16::from_le_bytes(b))
}

/// Why a ring or a descriptor chain cannot be used; the device then needs a reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("ring or descriptor outside RAM")]
    OutsideRam,
    #[error("descriptor index out of the table")]
    BadIndex,
    #[error("descriptor chain longer than its table (a loop)")]
    Loop,
    #[error("malformed indirect descriptor")]
    BadIndirect,
    #[error("device-readable descriptor after a device-writable one")]
    Layout,
    #[error("more available buffers than the queue holds")]
    AvailOverrun,
    #[error("request too short for its header or status")]
    Short,
}

/// One buffer of a descriptor chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg {
    pub addr: u64,
    pub len: u32,
    /// Device-writable.
    pub write: bool,
}

/// A descriptor chain taken from the available ring: its device-readable buffers, then its
/// device-writable ones, each seen as one byte stream.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    pub head: u16,
    pub segs: Vec<Seg>,
}

impl Chain {
    fn stream_len(&self, write: bool) -> u64 {
        self.segs
            .iter()
            .filter(|s| s.write == write)
            .map(|s| u64::from(s.len))
            .sum()
    }

    /// Total length of the device-readable buffers.
    pub fn readable_len(&self) -> u64 {
        self.stream_len(false)
    }

    /// Total length of the device-writable buffers.
    pub fn writable_len(&self) -> u64 {
        self.stream_len(true)
    }

    /// The pieces (guest address, length) of `len` bytes at offset `off` of one stream.
    fn pieces(&self, write: bool, mut off: u64, mut len: u64) -> Option<Vec<(u64, usize)>> {
        let mut out = Vec::new();
        for s in self.segs.iter().filter(|s| s.write == write) {
            if len == 0 {
                break;
            }
            let slen = u64::from(s.len);
            if off >= slen {
                off -= slen;
                continue;
            }
            let n = (slen - off).min(len);
            out.push((s.addr.checked_add(off)?, usize::try_from(n).ok()?));
            off = 0;
            len -= n;
        }
        (len == 0).then_some(out)
    }

    /// Reads `buf.len()` bytes at offset `off` of the device-readable stream.
    pub fn read(&self, mem: &mut dyn Dma, off: u64, buf: &mut [u8]) -> Option<()> {
        let mut at = 0usize;
        for (pa, n) in self.pieces(false, off, buf.len() as u64)? {
            mem.read(pa, buf.get_mut(at..at.checked_add(n)?)?)?;
            at += n;
        }
        Some(())
    }

    /// Writes `data` at offset `off` of the device-writable stream.
    pub fn write(&self, mem: &mut dyn Dma, off: u64, data: &[u8]) -> Option<()> {
        let mut at = 0usize;
        for (pa, n) in self.pieces(true, off, data.len() as u64)? {
            mem.write(pa, data.get(at..at.checked_add(n)?)?)?;
            at += n;
        }
        Some(())
    }
}

/// A device behind the transport.
pub trait VirtioDevice: fmt::Debug + Send {
    /// The virtio device ID (section 5; 2 is a block device).
    fn device_id(&self) -> u32;
    /// Feature bits offered besides VIRTIO_F_VERSION_1 (the transport adds that one).
    fn features(&self) -> u64;
    /// Number of virtqueues.
    fn queues(&self) -> usize;
    /// Largest queue size.
    fn queue_max(&self) -> u16;
    /// One byte of the device-specific configuration space (0 past its end).
    fn config(&self, off: u64) -> u8;
    /// The features the driver accepted (when it sets FEATURES_OK).
    fn set_features(&mut self, _features: u64) {}
    /// Serves one request; returns how many bytes it wrote into the chain's device-writable
    /// buffers, or why the chain is unusable.
    fn handle(&mut self, queue: usize, chain: &Chain, mem: &mut dyn Dma)
        -> Result<u32, ChainError>;
}

/// One split virtqueue as the driver configured it.
#[derive(Clone, Debug, Default)]
struct Queue {
    num: u32,
    ready: bool,
    desc: u64,
    driver: u64,
    device: u64,
    /// The next available-ring entry the device takes.
    last_avail: u16,
    /// The device's used-ring index.
    used_idx: u16,
}

fn set_low(v: &mut u64, lo: u32) {
    *v = (*v & !0xffff_ffff) | u64::from(lo);
}

fn set_high(v: &mut u64, hi: u32) {
    *v = (*v & 0xffff_ffff) | (u64::from(hi) << 32);
}

/// One virtio-mmio slot: the transport registers and the device behind them (none: an empty
/// slot with device ID 0, as QEMU's unused slots).
#[derive(Debug)]
pub struct VirtioMmio {
    dev: Option<Box<dyn VirtioDevice>>,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    queue_sel: u32,
    queues: Vec<Queue>,
    status: u32,
    interrupt_status: u32,
    /// Why the device last set DEVICE_NEEDS_RESET (for diagnostics and tests).
    pub last_error: Option<ChainError>,
}

impl VirtioMmio {
    /// An empty slot.
    pub fn empty() -> Self {
        Self {
            dev: None,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            queue_sel: 0,
            queues: Vec::new(),
            status: 0,
            interrupt_status: 0,
            last_error: None,
        }
    }

    pub fn new(dev: Box<dyn VirtioDevice>) -> Self {
        let n = dev.queues();
        Self {
            dev: Some(dev),
            queues: vec![Queue::default(); n],
            ..Self::empty()
        }
    }

    /// The interrupt line (level: high while an interrupt status bit is set).
    pub fn irq(&self) -> bool {
        self.interrupt_status != 0
    }

    /// The device status register.
    pub fn status(&self) -> u32 {
        self.status
    }

    fn device_features(&self) -> u64 {
        self.dev.as_ref().map_or(0, |d| d.features() | F_VERSION_1)
    }

    fn reset(&mut self) {
        let dev = self.dev.take();
        *self = match dev {
            Some(d) => Self::new(d),
            None => Self::empty(),
        };
    }

    fn queue(&self) -> Option<&Queue> {
        self.queues.get(self.queue_sel as usize)
    }

    fn queue_mut(&mut self) -> Option<&mut Queue> {
        // Ring addresses and size may only change while the queue is not ready.
        self.queues
            .get_mut(self.queue_sel as usize)
            .filter(|q| !q.ready)
    }

    /// A guest read of `size` bytes at offset `off` of the slot; `None` is an access fault.
    pub fn read(&mut self, off: u64, size: u64) -> Option<u64> {
        if off >= CONFIG {
            let dev = self.dev.as_ref();
            let mut v = 0u64;
            for i in 0..size {
                let b = dev.map_or(0, |d| d.config(off - CONFIG + i));
                v |= u64::from(b) << (8 * i);
            }
            return Some(v);
        }
        // Control registers: 32-bit accesses only (section 4.2.2.2).
        if size != 4 {
            return None;
        }
        let present = self.dev.is_some();
        let v: u32 = match off {
            R_MAGIC => MAGIC,
            R_VERSION => VERSION,
            R_DEVICE_ID => self.dev.as_ref().map_or(0, |d| d.device_id()),
            R_VENDOR_ID => VENDOR_ID,
            R_DEVICE_FEATURES => match self.device_features_sel {
                0 => self.device_features() as u32,
                1 => (self.device_features() >> 32) as u32,
                _ => 0,
            },
            R_QUEUE_NUM_MAX => match (self.queue(), &self.dev) {
                (Some(_), Some(d)) => u32::from(d.queue_max()),
                _ => 0,
            },
            R_QUEUE_READY => self.queue().map_or(0, |q| u32::from(q.ready)),
            R_INTERRUPT_STATUS => self.interrupt_status,
            R_STATUS => self.status,
            // No shared memory regions: length and base read as all ones (section 4.2.2).
            R_SHM_LEN_LOW..=R_SHM_BASE_HIGH if present => u32::MAX,
            R_CONFIG_GENERATION => 0,
            _ => 0,
        };
        Some(u64::from(v))
    }

    /// A guest write of `size` bytes at offset `off` of the slot; a queue notification serves
    /// the queue at once through `mem`. `None` is an access fault.
    pub fn write(&mut self, off: u64, val: u64, size: u64, mem: &mut dyn Dma) -> Option<()> {
        if off >= CONFIG {
            // The block device's configuration is read-only (no writeback toggle offered).
            return Some(());
        }
        if size != 4 {
            return None;
        }
        let v = val as u32;
        match off {
            R_DEVICE_FEATURES_SEL => self.device_features_sel = v,
            R_DRIVER_FEATURES_SEL => self.driver_features_sel = v,
            // Features are fixed once FEATURES_OK is set.
            R_DRIVER_FEATURES if self.status & S_FEATURES_OK == 0 => {
                match self.driver_features_sel {
                    0 => set_low(&mut self.driver_features, v),
                    1 => set_high(&mut self.driver_features, v),
                    _ => {}
                }
            }
            R_QUEUE_SEL => self.queue_sel = v,
            R_QUEUE_NUM => {
                if let Some(q) = self.queue_mut() {
                    q.num = v;
                }
            }
            R_QUEUE_READY => {
                let max = self.dev.as_ref().map_or(0, |d| u32::from(d.queue_max()));
                if let Some(q) = self.queues.get_mut(self.queue_sel as usize) {
                    if v & 1 == 0 {
                        q.ready = false;
                    } else if (1..=max).contains(&q.num) {
                        q.ready = true;
                    }
                }
            }
            R_QUEUE_NOTIFY => self.notify((v & 0xffff) as usize, mem),
            R_INTERRUPT_ACK => self.interrupt_status &= !v,
            R_STATUS => self.write_status(v),
            R_QUEUE_DESC_LOW => {
                if let Some(q) = self.queue_mut() {
                    set_low(&mut q.desc, v)
                }
            }
            R_QUEUE_DESC_HIGH => {
                if let Some(q) = self.queue_mut() {
                    set_high(&mut q.desc, v)
                }
            }
            R_QUEUE_DRIVER_LOW => {
                if let Some(q) = self.queue_mut() {
                    set_low(&mut q.driver, v)
                }
            }
            R_QUEUE_DRIVER_HIGH => {
                if let Some(q) = self.queue_mut() {
                    set_high(&mut q.driver, v)
                }
            }
            R_QUEUE_DEVICE_LOW => {
                if let Some(q) = self.queue_mut() {
                    set_low(&mut q.device, v)
                }
            }
            R_QUEUE_DEVICE_HIGH => {
                if let Some(q) = self.queue_mut() {
                    set_high(&mut q.device, v)
                }
            }
            // Read-only registers and holes: ignored.
            _ => {}
        }
        Some(())
    }

    fn write_status(&mut self, v: u32) {
        if v == 0 {
            self.reset();
            return;
        }
        let mut v = v;
        if v & S_FEATURES_OK != 0 && self.status & S_FEATURES_OK == 0 {
            // Accept only features we offered, and the modern interface (section 3.1.1).
            let offered = self.device_features();
            let f = self.driver_features;
            if f & !offered != 0 || f & F_VERSION_1 == 0 {
                v &= !S_FEATURES_OK;
            } else if let Some(d) = self.dev.as_mut() {
                d.set_features(f);
            }
        }
        self.status = v | (self.status & S_NEEDS_RESET);
    }

    /// The device hit a malformed ring or chain: DEVICE_NEEDS_RESET and a configuration change
    /// interrupt (section 2.1.2).
    fn needs_reset(&mut self, e: ChainError) {
        self.status |= S_NEEDS_RESET;
        self.last_error = Some(e);
        if self.status & S_DRIVER_OK != 0 {
            self.interrupt_status |= INT_CONFIG;
        }
    }

    /// Serves the available buffers of queue `qi` (at most one queue's worth per notification).
    fn notify(&mut self, qi: usize, mem: &mut dyn Dma) {
        if self.status & (S_DRIVER_OK | S_NEEDS_RESET) != S_DRIVER_OK {
            return;
        }
        let Some(q) = self.queues.get(qi).filter(|q| q.ready).cloned() else {
            return;
        };
        match self.serve(qi, q, mem) {
            Ok((q, used, no_interrupt)) => {
                if let Some(slot) = self.queues.get_mut(qi) {
                    *slot = q;
                }
                if used && !no_interrupt {
                    self.interrupt_status |= INT_USED;
                }
            }
            Err((q, e)) => {
                if let Some(slot) = self.queues.get_mut(qi) {
                    *slot = q;
                }
                self.needs_reset(e);
            }
        }
    }

    /// Takes chains from the available ring, lets the device serve them and puts them in the
    /// used ring. Returns the queue state and whether anything was used, and whether the
    /// driver suppressed the interrupt.
    #[allow(clippy::type_complexity)]
    fn serve(
        &mut self,
        qi: usize,
        mut q: Queue,
        mem: &mut dyn Dma,
    ) -> Result<(Queue, bool, bool), (Queue, ChainError)> {
        let Some(dev) = self.dev.as_mut() else {
            return Ok((q, false, true));
        };
        // `ready` implies 1 <= num <= queue_max <= u16::MAX.
        let num = q.num as u16;
        let mut used = false;
        let mut no_interrupt = false;
        // Bounded: a device write into the ring itself cannot make this loop forever.
        for _ in 0..num {
            let Some(avail_idx) = read_u16(mem, q.driver.wrapping_add(2)) else {
                return Err((q, ChainError::OutsideRam));
            };
            if avail_idx == q.last_avail {
                break;
            }
            if avail_idx.wrapping_sub(q.last_avail) > num {
                return Err((q, ChainError::AvailOverrun));
            }
            let slot = u64::from(q.last_avail % num);
            let Some(head) = read_u16(mem, q.driver.wrapping_add(4 + 2 * slot)) else {
                return Err((q, ChainError::OutsideRam));
            };
            let chain = match walk(mem, &q, head) {
                Ok(c) => c,
                Err(e) => return Err((q, e)),
            };
            let len = match dev.handle(qi, &chain, mem) {
                Ok(n) => n,
                Err(e) => return Err((q, e)),
            };
            let mut elem = [0u8; 8];
            elem[..4].copy_from_slice(&u32::from(head).to_le_bytes());
            elem[4..].copy_from_slice(&len.to_le_bytes());
            let at = q.device.wrapping_add(4 + 8 * u64::from(q.used_idx % num));
            if mem.write(at, &elem).is_none() {
                return Err((q, ChainError::OutsideRam));
            }
            q.used_idx = q.used_idx.wrapping_add(1);
            q.last_avail = q.last_avail.wrapping_add(1);
            if mem
                .write(q.device.wrapping_add(2), &q.used_idx.to_le_bytes())
                .is_none()
            {
                return Err((q, ChainError::OutsideRam));
            }
            used = true;
        }
        if used {
            match read_u16(mem, q.driver) {
                Some(flags) => no_interrupt = flags & AVAIL_F_NO_INTERRUPT != 0,
                None => return Err((q, ChainError::OutsideRam)),
            }
        }
        Ok((q, used, no_interrupt))
    }
}

/// Reads descriptor `idx` of the table at `table` (16 bytes: addr, len, flags, next).
fn descriptor(mem: &mut dyn Dma, table: u64, idx: u32) -> Result<(u64, u32, u16, u16), ChainError> {
    let mut d = [0u8; 16];
    let at = u64::from(idx)
        .checked_mul(16)
        .and_then(|o| table.checked_add(o))
        .ok_or(ChainError::OutsideRam)?;
    mem.read(at, &mut d).ok_or(ChainError::OutsideRam)?;
    let le64 = |b: &[u8]| b.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x));
    let addr = le64(&d[0..8]);
    let len = le64(&d[8..12]) as u32;
    let flags = le64(&d[12..14]) as u16;
    let next = le64(&d[14..16]) as u16;
    Ok((addr, len, flags, next))
}

/// Follows the chain starting at descriptor `head`, through an indirect table if there is one.
fn walk(mem: &mut dyn Dma, q: &Queue, head: u16) -> Result<Chain, ChainError> {
    let mut table = q.desc;
    let mut size = q.num;
    let mut idx = u32::from(head);
    if idx >= size {
        return Err(ChainError::BadIndex);
    }
    let mut budget = size;
    let mut indirect = false;
    let mut seen_write = false;
    let mut chain = Chain {
        head,
        segs: Vec::new(),
    };
    loop {
        if budget == 0 {
            return Err(ChainError::Loop);
        }
        budget -= 1;
        let (addr, len, flags, next) = descriptor(mem, table, idx)?;
        if flags & DESC_F_INDIRECT != 0 {
            // One level only, never chained on (section 2.7.5.3.1).
            if indirect || flags & DESC_F_NEXT != 0 || len == 0 || !len.is_multiple_of(16) {
                return Err(ChainError::BadIndirect);
            }
            size = len / 16;
            if size > MAX_INDIRECT {
                return Err(ChainError::BadIndirect);
            }
            table = addr;
            idx = 0;
            budget = size;
            indirect = true;
            continue;
        }
        let write = flags & DESC_F_WRITE != 0;
        if seen_write && !write {
            return Err(ChainError::Layout);
        }
        seen_write |= write;
        chain.segs.push(Seg { addr, len, write });
        if flags & DESC_F_NEXT == 0 {
            return Ok(chain);
        }
        idx = u32::from(next);
        if idx >= size {
            return Err(ChainError::BadIndex);
        }
    }
}
