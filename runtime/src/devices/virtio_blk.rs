//! A virtio block device (Virtio 1.2, section 5.2) over a raw disk image: one request queue,
//! VIRTIO_BLK_T_IN/OUT/FLUSH/GET_ID, capacity, seg_max and blk_size in the configuration space,
//! VIRTIO_BLK_F_RO for a read-only drive (writes answered VIRTIO_BLK_S_IOERR), VIRTIO_BLK_F_FLUSH
//! and indirect descriptors. Requests are served synchronously when the driver notifies.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

use super::virtio::{Chain, ChainError, Dma, VirtioDevice, F_INDIRECT_DESC};

/// Device ID of a block device.
pub const DEVICE_ID: u32 = 2;
/// Queue size offered (as QEMU's default).
pub const QUEUE_MAX: u16 = 256;
/// Bytes per sector: request sectors are always in these units (section 5.2.6).
pub const SECTOR: u64 = 512;

pub const F_SEG_MAX: u64 = 1 << 2;
pub const F_RO: u64 = 1 << 5;
pub const F_BLK_SIZE: u64 = 1 << 6;
pub const F_FLUSH: u64 = 1 << 9;

pub const T_IN: u32 = 0;
pub const T_OUT: u32 = 1;
pub const T_FLUSH: u32 = 4;
pub const T_GET_ID: u32 = 8;

pub const S_OK: u8 = 0;
pub const S_IOERR: u8 = 1;
pub const S_UNSUPP: u8 = 2;

/// What GET_ID answers (at most 20 bytes, zero-padded).
pub const ID: &[u8] = b"xlate-virtio-blk";
/// Bytes moved between the disk and guest memory at a time.
const CHUNK: usize = 64 << 10;

/// The storage behind the device.
pub trait Disk: fmt::Debug + Send + Sync {
    /// Size in bytes.
    fn size(&self) -> u64;
    fn read_at(&self, buf: &mut [u8], off: u64) -> io::Result<()>;
    fn write_at(&self, data: &[u8], off: u64) -> io::Result<()>;
    fn flush(&self) -> io::Result<()>;
}

impl Disk for File {
    fn size(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }
    fn read_at(&self, buf: &mut [u8], off: u64) -> io::Result<()> {
        self.read_exact_at(buf, off)
    }
    fn write_at(&self, data: &[u8], off: u64) -> io::Result<()> {
        self.write_all_at(data, off)
    }
    fn flush(&self) -> io::Result<()> {
        self.sync_data()
    }
}

/// A disk in memory (tests, the fuzz target).
impl Disk for Mutex<Vec<u8>> {
    fn size(&self) -> u64 {
        self.lock().map_or(0, |d| d.len() as u64)
    }
    fn read_at(&self, buf: &mut [u8], off: u64) -> io::Result<()> {
        let d = self.lock().map_err(|_| io::ErrorKind::Other)?;
        let src = usize::try_from(off)
            .ok()
            .and_then(|o| d.get(o..o.checked_add(buf.len())?))
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn write_at(&self, data: &[u8], off: u64) -> io::Result<()> {
        let mut d = self.lock().map_err(|_| io::ErrorKind::Other)?;
        let dst = usize::try_from(off)
            .ok()
            .and_then(|o| d.get_mut(o..o.checked_add(data.len())?))
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        dst.copy_from_slice(data);
        Ok(())
    }
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

/// The block device.
pub struct VirtioBlk {
    disk: Arc<dyn Disk>,
    readonly: bool,
    /// Capacity in sectors (the image's size rounded down).
    sectors: u64,
    buf: Vec<u8>,
}

impl fmt::Debug for VirtioBlk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtioBlk")
            .field("disk", &self.disk)
            .field("readonly", &self.readonly)
            .field("sectors", &self.sectors)
            .finish()
    }
}

impl VirtioBlk {
    pub fn new(disk: Arc<dyn Disk>, readonly: bool) -> Self {
        let sectors = disk.size() / SECTOR;
        Self {
            disk,
            readonly,
            sectors,
            buf: Vec::new(),
        }
    }

    /// Capacity in 512-byte sectors.
    pub fn sectors(&self) -> u64 {
        self.sectors
    }

    /// Checks that `len` bytes at `sector` are whole sectors inside the disk; returns the byte
    /// offset.
    fn span(&self, sector: u64, len: u64) -> Option<u64> {
        if !len.is_multiple_of(SECTOR) {
            return None;
        }
        let start = sector.checked_mul(SECTOR)?;
        let end = start.checked_add(len)?;
        (end <= self.sectors * SECTOR).then_some(start)
    }

    /// Disk -> guest: `len` bytes at `sector` into the writable stream.
    fn read(&mut self, chain: &Chain, mem: &mut dyn Dma, sector: u64, len: u64) -> u8 {
        let Some(start) = self.span(sector, len) else {
            return S_IOERR;
        };
        self.buf.resize(CHUNK, 0);
        let mut off = 0;
        while off < len {
            let n = (len - off).min(CHUNK as u64) as usize;
            let b = &mut self.buf[..n];
            if self.disk.read_at(b, start + off).is_err() || chain.write(mem, off, b).is_none() {
                return S_IOERR;
            }
            off += n as u64;
        }
        S_OK
    }

    /// Guest -> disk: the readable stream after the header, at `sector`.
    fn write(&mut self, chain: &Chain, mem: &mut dyn Dma, sector: u64, len: u64) -> u8 {
        if self.readonly {
            return S_IOERR;
        }
        let Some(start) = self.span(sector, len) else {
            return S_IOERR;
        };
        self.buf.resize(CHUNK, 0);
        let mut off = 0;
        while off < len {
            let n = (len - off).min(CHUNK as u64) as usize;
            let b = &mut self.buf[..n];
            if chain.read(mem, 16 + off, b).is_none() || self.disk.write_at(b, start + off).is_err()
            {
                return S_IOERR;
            }
            off += n as u64;
        }
        S_OK
    }
}

impl VirtioDevice for VirtioBlk {
    fn device_id(&self) -> u32 {
        DEVICE_ID
    }

    fn features(&self) -> u64 {
        let ro = if self.readonly { F_RO } else { 0 };
        F_SEG_MAX | F_BLK_SIZE | F_FLUSH | F_INDIRECT_DESC | ro
    }

    fn queues(&self) -> usize {
        1
    }

    fn queue_max(&self) -> u16 {
        QUEUE_MAX
    }

    fn config(&self, off: u64) -> u8 {
        // struct virtio_blk_config: capacity (le64), size_max, seg_max, geometry, blk_size.
        let le = |v: u64, at: u64| (v >> (8 * (off - at))) as u8;
        match off {
            0..=7 => le(self.sectors, 0),
            12..=15 => le(u64::from(QUEUE_MAX) - 2, 12),
            20..=23 => le(SECTOR, 20),
            _ => 0,
        }
    }

    fn handle(
        &mut self,
        _queue: usize,
        chain: &Chain,
        mem: &mut dyn Dma,
    ) -> Result<u32, ChainError> {
        // struct virtio_blk_req: type (le32), reserved, sector (le64), data, status (u8).
        let readable = chain.readable_len();
        let writable = chain.writable_len();
        if readable < 16 || writable < 1 {
            return Err(ChainError::Short);
        }
        let mut hdr = [0u8; 16];
        chain.read(mem, 0, &mut hdr).ok_or(ChainError::OutsideRam)?;
        let typ = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let sector = u64::from_le_bytes([
            hdr[8], hdr[9], hdr[10], hdr[11], hdr[12], hdr[13], hdr[14], hdr[15],
        ]);
        let data_in = writable - 1;
        let (status, written) = match typ {
            T_IN => {
                let s = self.read(chain, mem, sector, data_in);
                (s, if s == S_OK { data_in } else { 0 })
            }
            T_OUT => (self.write(chain, mem, sector, readable - 16), 0),
            T_FLUSH => {
                let s = if self.readonly || self.disk.flush().is_ok() {
                    S_OK
                } else {
                    S_IOERR
                };
                (s, 0)
            }
            T_GET_ID => {
                let n = data_in.min(20);
                let mut id = [0u8; 20];
                id[..ID.len()].copy_from_slice(ID);
                match chain.write(mem, 0, &id[..n as usize]) {
                    Some(()) => (S_OK, n),
                    None => (S_IOERR, 0),
                }
            }
            _ => (S_UNSUPP, 0),
        };
        chain
            .write(mem, data_in, &[status])
            .ok_or(ChainError::OutsideRam)?;
        // The used length counts the bytes written, the status byte included.
        Ok(u32::try_from(written + 1).unwrap_or(u32::MAX))
    }
}
