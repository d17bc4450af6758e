//! MMIO devices of the system-mode machine and the bus that maps physical address ranges to
//! them, laid out like QEMU's `virt` board (QEMU 7.2 hw/riscv/virt.c memory map). Devices are
//! pure state machines that know their registers and interrupt lines, not the bus; the bus
//! checks each access's range and width (an access to nothing, or of a width the device does
//! not implement, is an access fault) and routes the interrupt lines into the PLIC.

pub mod finisher;
pub mod plic;
pub mod uart;
pub mod virtio;
pub mod virtio_blk;
#[cfg(test)]
mod virtio_tests;

use std::collections::VecDeque;

pub use finisher::{Finish, TestFinisher};
pub use plic::Plic;
pub use uart::Uart16550;
pub use virtio::{Dma, VirtioMmio};

/// The boot ROM holding the reset vector.
pub const MROM_BASE: u64 = 0x1000;
pub const MROM_SIZE: u64 = 0xf000;
/// SiFive test finisher.
pub const TEST_BASE: u64 = 0x10_0000;
pub const TEST_SIZE: u64 = 0x1000;
/// CLINT (implemented by `machine::bus::Clint`).
pub const CLINT_BASE: u64 = 0x200_0000;
pub const CLINT_SIZE: u64 = 0x1_0000;
pub const PLIC_BASE: u64 = 0xc00_0000;
pub const PLIC_SIZE: u64 = plic::SIZE;
pub const UART0_BASE: u64 = 0x1000_0000;
pub const UART0_SIZE: u64 = 0x100;
/// The UART's PLIC source.
pub const UART0_IRQ: usize = 10;
/// virtio-mmio slots: `VIRTIO_COUNT` windows of `VIRTIO_SIZE` bytes from `VIRTIO_BASE`, slot
/// `i` on PLIC source `VIRTIO_IRQ + i`.
pub const VIRTIO_BASE: u64 = 0x1000_1000;
pub const VIRTIO_SIZE: u64 = 0x1000;
pub const VIRTIO_COUNT: usize = 8;
pub const VIRTIO_IRQ: usize = 1;

/// Which device an address range belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dev {
    Rom,
    Test,
    Plic,
    Uart,
    Virtio,
}

/// One mapping: `base..base+size` is `dev`, accessible with the widths (in bytes) whose bits are
/// set in `widths`.
#[derive(Clone, Copy, Debug)]
struct Region {
    base: u64,
    size: u64,
    dev: Dev,
    widths: u8,
}

const W1: u8 = 1;
const W2: u8 = 2;
const W4: u8 = 4;
const W8: u8 = 8;

/// The address map, sorted by base.
const MAP: [Region; 5] = [
    Region {
        base: MROM_BASE,
        size: MROM_SIZE,
        dev: Dev::Rom,
        widths: W1 | W2 | W4 | W8,
    },
    Region {
        base: TEST_BASE,
        size: TEST_SIZE,
        dev: Dev::Test,
        // OpenSBI writes 16 bits (writew), Linux 32; QEMU accepts both.
        widths: W2 | W4,
    },
    Region {
        base: PLIC_BASE,
        size: PLIC_SIZE,
        dev: Dev::Plic,
        widths: W4,
    },
    Region {
        base: UART0_BASE,
        size: UART0_SIZE,
        dev: Dev::Uart,
        widths: W1,
    },
    Region {
        base: VIRTIO_BASE,
        size: VIRTIO_SIZE * VIRTIO_COUNT as u64,
        dev: Dev::Virtio,
        // Control registers are 32-bit (the slot faults other widths); configuration space
        // takes any naturally aligned width.
        widths: W1 | W2 | W4 | W8,
    },
];

/// Finds the region containing the whole access, if its width is one the device implements.
fn region(pa: u64, size: u64) -> Option<(Region, u64)> {
    let r = MAP
        .iter()
        .find(|r| pa >= r.base && pa - r.base < r.size)
        .copied()?;
    let off = pa - r.base;
    let end = off.checked_add(size)?;
    if end > r.size || u64::from(r.widths) & size == 0 || size.count_ones() != 1 {
        return None;
    }
    // Naturally aligned only (device registers).
    if !off.is_multiple_of(size) {
        return None;
    }
    Some((r, off))
}

/// The devices of the `virt` board other than the CLINT.
#[derive(Debug)]
pub struct Board {
    /// Boot ROM contents (reset vector), read-only to the guest.
    pub rom: Vec<u8>,
    pub test: TestFinisher,
    pub plic: Plic,
    pub uart: Uart16550,
    /// The virtio-mmio slots (empty ones answer device ID 0, as QEMU's).
    pub virtio: Vec<VirtioMmio>,
    /// Console input not yet accepted by the UART's FIFO.
    input: VecDeque<u8>,
}

impl Default for Board {
    fn default() -> Self {
        Self::new()
    }
}

impl Board {
    pub fn new() -> Self {
        Self {
            rom: Vec::new(),
            test: TestFinisher::default(),
            plic: Plic::new(),
            uart: Uart16550::default(),
            virtio: (0..VIRTIO_COUNT).map(|_| VirtioMmio::empty()).collect(),
            input: VecDeque::new(),
        }
    }

    /// Whether `pa..pa+len` is ROM (instructions may be fetched from it).
    pub fn is_rom(&self, pa: u64, len: u64) -> bool {
        pa.checked_sub(MROM_BASE)
            .and_then(|o| o.checked_add(len))
            .is_some_and(|end| end <= self.rom.len() as u64)
    }

    /// A guest read of `size` bytes; `None` is an access fault.
    pub fn read(&mut self, pa: u64, size: u64) -> Option<u64> {
        let (r, off) = region(pa, size)?;
        let v = match r.dev {
            Dev::Rom => {
                let mut b = [0u8; 8];
                let start = usize::try_from(off).ok()?;
                for (i, byte) in b.iter_mut().enumerate().take(size as usize) {
                    *byte = self.rom.get(start + i).copied().unwrap_or(0);
                }
                u64::from_le_bytes(b)
            }
            Dev::Test => 0,
            Dev::Plic => u64::from(self.plic.read(off)),
            Dev::Uart => {
                let v = u64::from(self.uart.read(off & 7));
                self.refill();
                v
            }
            Dev::Virtio => {
                let slot = usize::try_from(off / VIRTIO_SIZE).ok()?;
                self.virtio.get_mut(slot)?.read(off % VIRTIO_SIZE, size)?
            }
        };
        self.update_irqs();
        Some(v)
    }

    /// A guest write of the low `size` bytes of `val`; `None` is an access fault. Devices
    /// see no guest memory (see [`Board::write_dma`]).
    pub fn write(&mut self, pa: u64, val: u64, size: u64) -> Option<()> {
        self.write_dma(pa, val, size, &mut virtio::NoDma)
    }

    /// A guest write; a device that accesses guest memory in response (a virtqueue
    /// notification) does so through `mem`.
    pub fn write_dma(&mut self, pa: u64, val: u64, size: u64, mem: &mut dyn Dma) -> Option<()> {
        let (r, off) = region(pa, size)?;
        match r.dev {
            Dev::Rom => return None,
            Dev::Test => self.test.write(off, val as u32),
            Dev::Plic => self.plic.write(off, val as u32),
            Dev::Uart => self.uart.write(off & 7, val as u8),
            Dev::Virtio => {
                let slot = usize::try_from(off / VIRTIO_SIZE).ok()?;
                self.virtio
                    .get_mut(slot)?
                    .write(off % VIRTIO_SIZE, val, size, mem)?
            }
        }
        self.update_irqs();
        Some(())
    }

    /// Queues console input for the UART.
    pub fn push_input(&mut self, bytes: &[u8]) {
        self.input.extend(bytes);
        self.refill();
        self.update_irqs();
    }

    /// Whether console input is waiting (in the FIFO or behind it).
    pub fn input_pending(&self) -> bool {
        !self.input.is_empty()
    }

    /// Takes one byte of console input (the UART's FIFO first), for the built-in SBI console.
    pub fn pop_input(&mut self) -> Option<u8> {
        let b = if self.uart.rx_room() < uart::RX_FIFO {
            Some(self.uart.read_rx())
        } else {
            self.input.pop_front()
        };
        self.refill();
        self.update_irqs();
        b
    }

    fn refill(&mut self) {
        while self.uart.rx_room() > 0 {
            match self.input.pop_front() {
                Some(b) => {
                    self.uart.receive(b);
                }
                None => break,
            }
        }
    }

    fn update_irqs(&mut self) {
        self.plic.set_level(UART0_IRQ, self.uart.irq());
        for (i, v) in self.virtio.iter().enumerate() {
            self.plic.set_level(VIRTIO_IRQ + i, v.irq());
        }
    }

    /// Machine- and supervisor-level external interrupt lines of hart 0.
    pub fn external_irqs(&self) -> (bool, bool) {
        (self.plic.eip(0), self.plic.eip(1))
    }

    /// Takes what the UART transmitted since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.uart.tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_holes() {
        let mut b = Board::new();
        b.rom = vec![0x11, 0x22, 0x33, 0x44];
        assert_eq!(b.read(MROM_BASE, 4), Some(0x4433_2211));
        assert_eq!(b.read(MROM_BASE + 1, 2), None, "misaligned");
        assert_eq!(b.write(MROM_BASE, 0, 4), None, "ROM is read-only");
        assert_eq!(b.read(UART0_BASE + 5, 1), Some(0x60), "LSR: THR empty");
        assert_eq!(b.read(UART0_BASE + 4, 4), None, "UART registers are bytes");
        assert_eq!(b.read(PLIC_BASE, 1), None, "PLIC registers are words");
        assert_eq!(
            b.read(0x2000, 8),
            Some(0),
            "inside the ROM window, past its contents"
        );
        assert_eq!(b.read(0x20_0000, 4), None, "nothing there");
        assert_eq!(b.write(TEST_BASE, 0x5555, 1), None);
        assert_eq!(b.write(TEST_BASE, 0x5555, 2), Some(()));
        assert_eq!(b.test.finish, Some(Finish::Poweroff(0)));
        assert!(b.is_rom(MROM_BASE, 4));
        assert!(!b.is_rom(MROM_BASE + 2, 4));
        assert!(!b.is_rom(u64::MAX - 1, 4));
    }

    #[test]
    fn uart_input_reaches_the_plic() {
        let mut b = Board::new();
        b.write(PLIC_BASE + 4 * UART0_IRQ as u64, 1, 4);
        b.write(PLIC_BASE + 0x2080, 1 << UART0_IRQ, 4);
        b.write(UART0_BASE + 1, 1, 1); // IER: received data
        assert_eq!(b.external_irqs(), (false, false));
        let long: Vec<u8> = (0..40).collect();
        b.push_input(&long);
        assert_eq!(b.external_irqs(), (false, true));
        assert_eq!(b.read(PLIC_BASE + 0x20_1004, 4), Some(UART0_IRQ as u64));
        let mut got = Vec::new();
        while b.read(UART0_BASE + 5, 1).unwrap_or(0) & 1 != 0 {
            got.push(b.read(UART0_BASE, 1).unwrap_or(0) as u8);
        }
        assert_eq!(got, long, "bytes behind the FIFO follow in order");
        b.write(PLIC_BASE + 0x20_1004, UART0_IRQ as u64, 4);
        assert_eq!(b.external_irqs(), (false, false));
    }
}
