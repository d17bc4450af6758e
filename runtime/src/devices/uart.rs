//! An NS16550A UART as a pure state machine: registers, a receive FIFO and the interrupt line
//! (National Semiconductor PC16550D data sheet; the register subset QEMU's `serial` models:
//! no modem-status interrupts, transmission is instantaneous).

use std::collections::VecDeque;

/// Depth of the receive FIFO (the 16550A's).
pub const RX_FIFO: usize = 16;

const IER_RDA: u8 = 1; // received data available
const IER_THRE: u8 = 2; // transmitter holding register empty
const IER_RLS: u8 = 4; // receiver line status
const LCR_DLAB: u8 = 0x80;
const MCR_LOOP: u8 = 0x10;
const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
const IIR_NONE: u8 = 0x01;
const IIR_THRE: u8 = 0x02;
const IIR_RDA: u8 = 0x04;
const IIR_RLS: u8 = 0x06;
const IIR_FIFO: u8 = 0xc0;

/// The UART's registers. Bytes the guest transmits collect in `tx` for the host to take.
#[derive(Debug)]
pub struct Uart16550 {
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    fcr_enabled: bool,
    overrun: bool,
    /// A "transmitter holding register empty" interrupt is owed (cleared by reading IIR or
    /// writing THR).
    thre_pending: bool,
    rx: VecDeque<u8>,
    /// Transmitted bytes not yet taken by the host.
    pub tx: Vec<u8>,
}

impl Default for Uart16550 {
    fn default() -> Self {
        Self {
            ier: 0,
            lcr: 0,
            mcr: 0,
            scr: 0,
            dll: 0x0c,
            dlm: 0,
            fcr_enabled: false,
            overrun: false,
            thre_pending: false,
            rx: VecDeque::with_capacity(RX_FIFO),
            tx: Vec::new(),
        }
    }
}

impl Uart16550 {
    /// Room left in the receive FIFO.
    pub fn rx_room(&self) -> usize {
        RX_FIFO.saturating_sub(self.rx.len())
    }

    /// Receives one byte from the line; returns false (and records an overrun) when the FIFO
    /// is full.
    pub fn receive(&mut self, b: u8) -> bool {
        if self.rx.len() >= RX_FIFO {
            self.overrun = true;
            return false;
        }
        self.rx.push_back(b);
        true
    }

    /// Takes the oldest received byte (0 when empty), as a read of RBR does.
    pub fn read_rx(&mut self) -> u8 {
        self.rx.pop_front().unwrap_or(0)
    }

    fn lsr(&self) -> u8 {
        let mut v = LSR_THRE | LSR_TEMT;
        if !self.rx.is_empty() {
            v |= LSR_DR;
        }
        if self.overrun {
            v |= LSR_OE;
        }
        v
    }

    fn iir_code(&self) -> u8 {
        if self.ier & IER_RLS != 0 && self.overrun {
            IIR_RLS
        } else if self.ier & IER_RDA != 0 && !self.rx.is_empty() {
            IIR_RDA
        } else if self.ier & IER_THRE != 0 && self.thre_pending {
            IIR_THRE
        } else {
            IIR_NONE
        }
    }

    /// The interrupt line (level).
    pub fn irq(&self) -> bool {
        self.iir_code() != IIR_NONE
    }

    /// A guest read of register `off` (0..=7).
    pub fn read(&mut self, off: u64) -> u8 {
        let dlab = self.lcr & LCR_DLAB != 0;
        match off {
            0 if dlab => self.dll,
            0 => self.rx.pop_front().unwrap_or(0),
            1 if dlab => self.dlm,
            1 => self.ier,
            2 => {
                let code = self.iir_code();
                if code == IIR_THRE {
                    self.thre_pending = false;
                }
                code | if self.fcr_enabled { IIR_FIFO } else { 0 }
            }
            3 => self.lcr,
            4 => self.mcr,
            5 => {
                let v = self.lsr();
                self.overrun = false;
                v
            }
            6 => {
                if self.mcr & MCR_LOOP != 0 {
                    // Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD.
                    let m = self.mcr;
                    ((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4)
                } else {
                    // CTS, DSR and DCD asserted: a terminal is connected.
                    0xb0
                }
            }
            7 => self.scr,
            _ => 0,
        }
    }

    /// A guest write of `v` to register `off` (0..=7).
    pub fn write(&mut self, off: u64, v: u8) {
        let dlab = self.lcr & LCR_DLAB != 0;
        match off {
            0 if dlab => self.dll = v,
            0 => {
                if self.mcr & MCR_LOOP != 0 {
                    self.receive(v);
                } else {
                    self.tx.push(v);
                }
                // Sent at once: the holding register is empty again.
                self.thre_pending = true;
            }
            1 if dlab => self.dlm = v,
            1 => {
                // Enabling the THRE interrupt while THR is empty raises it.
                if v & IER_THRE != 0 && self.ier & IER_THRE == 0 {
                    self.thre_pending = true;
                }
                self.ier = v & 0x0f;
            }
            2 => {
                self.fcr_enabled = v & 1 != 0;
                if v & 2 != 0 {
                    self.rx.clear();
                }
            }
            3 => self.lcr = v,
            4 => self.mcr = v & 0x1f,
            7 => self.scr = v,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmit_collects_bytes_and_raises_thre_when_enabled() {
        let mut u = Uart16550::default();
        u.write(0, b'h');
        assert_eq!(u.tx, b"h");
        assert!(!u.irq(), "THRE interrupt not enabled");
        u.write(1, IER_THRE);
        assert!(u.irq());
        assert_eq!(u.read(2) & 0x0f, IIR_THRE);
        assert!(!u.irq(), "reading IIR clears THRE");
        assert_eq!(u.read(2) & 0x0f, IIR_NONE);
    }

    #[test]
    fn receive_fifo_data_ready_and_interrupt() {
        let mut u = Uart16550::default();
        assert_eq!(u.read(5) & LSR_DR, 0);
        assert!(u.receive(b'a'));
        assert!(u.receive(b'b'));
        assert_eq!(u.read(5) & (LSR_DR | LSR_THRE), LSR_DR | LSR_THRE);
        assert!(!u.irq());
        u.write(1, IER_RDA);
        assert!(u.irq());
        assert_eq!(u.read(2) & 0x0f, IIR_RDA);
        assert_eq!(u.read(0), b'a');
        assert_eq!(u.read(0), b'b');
        assert!(!u.irq());
        for i in 0..RX_FIFO {
            assert!(u.receive(i as u8));
        }
        assert!(!u.receive(0), "a full FIFO refuses bytes");
        assert_eq!(u.read(5) & LSR_OE, LSR_OE);
        assert_eq!(u.read(5) & LSR_OE, 0, "reading LSR clears the overrun");
    }

    #[test]
    fn divisor_latch_and_loopback() {
        let mut u = Uart16550::default();
        u.write(3, LCR_DLAB);
        u.write(0, 0x34);
        u.write(1, 0x12);
        assert_eq!((u.read(0), u.read(1)), (0x34, 0x12));
        u.write(3, 0x03);
        assert_eq!(u.read(1), 0, "IER untouched by the divisor write");
        u.write(4, MCR_LOOP | 0x0f);
        u.write(0, b'x');
        assert!(u.tx.is_empty(), "loopback does not transmit");
        assert_eq!(u.read(0), b'x');
        assert_eq!(u.read(6), 0xf0);
    }
}
