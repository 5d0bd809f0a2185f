package io.ketch.mvcc;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import org.mapdb.DBException;
import org.mapdb.DataIO;
import org.mapdb.DataInput2;
import org.mapdb.volume.Volume;

/**
 * A MapDB volume that keeps the whole file in memory and writes changed pages back to the
 * file through a {@link FileChannel} on {@link #sync()} and {@link #close()}.
 *
 * <p>Why: with MapDB's own {@code FileChannelVol} every B-tree node read is a pread and
 * every record write a pwrite — about a dozen system calls per put, a quarter of the CPU a
 * put costs. The backend file is only a cache of (snapshot + Raft log) that is trusted
 * after a clean close, so nothing needs to reach the disk between checkpoints; this volume
 * serves every access from memory, as bbolt serves etcd from its memory map, and writes
 * back at MapDB's commit. Memory use is the file's size (bounded by the backend quota).
 *
 * <p>Layout: the file is split into slices of {@code 1 << sliceShift} bytes held as byte
 * arrays (as MapDB's {@code ByteArrayVol}); every write marks the {@value #PAGE_SIZE}-byte
 * pages it touches dirty. Invariant: a page whose bytes differ from the file is marked dirty.
 * {@link #sync()} clears a page's mark before copying the page out, so a write racing with
 * it is either in the copy or marks the page again for the next sync.
 *
 * <p>Thread-safety: as {@code ByteArrayVol}: MapDB's store locks order reads and writes of a
 * record; growing and shrinking take {@link #growLock}; syncs are serialized.
 */
final class CachedFileVolume extends Volume {
    static final int PAGE_SHIFT = 12;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;

    private final File file;
    private final FileChannel channel;
    private final int sliceShift;
    private final int sliceSize;
    private final int sliceMask;
    private final int pagesPerSlice;
    private final ReentrantLock growLock = new ReentrantLock();
    private final Object syncLock = new Object();
    /** Written after {@link #dirty} when growing, so a thread that sees a slice sees its flags. */
    private volatile byte[][] slices = new byte[0][];
    /**
     * One flag per page, one array per slice (so growing never copies a flag another thread
     * is setting); a plain byte store is atomic.
     */
    private volatile byte[][] dirty = new byte[0][];

    /** Opens (or creates) the file and reads all of it into memory. */
    CachedFileVolume(File file, int sliceShift) {
        this.file = file;
        this.sliceShift = sliceShift;
        this.sliceSize = 1 << sliceShift;
        this.sliceMask = sliceSize - 1;
        this.pagesPerSlice = 1 << (sliceShift - PAGE_SHIFT);
        try {
            channel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE);
            long size = channel.size();
            ensureAvailable(size);
            for (int i = 0; (long) i * sliceSize < size; i++) {
                ByteBuffer buf = ByteBuffer.wrap(slices[i], 0, (int) Math.min(sliceSize, size - (long) i * sliceSize));
                long pos = (long) i * sliceSize;
                while (buf.hasRemaining()) {
                    int n = channel.read(buf, pos + buf.position());
                    if (n < 0) {
                        throw new DBException.VolumeEOF("file shrank while being read: " + file);
                    }
                }
            }
            for (byte[] d : dirty) {
                Arrays.fill(d, (byte) 0);
            }
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    private byte[] slice(long offset) {
        byte[][] s = slices;
        int i = (int) (offset >>> sliceShift);
        if (i >= s.length) {
            throw new DBException.VolumeEOF("offset " + offset + " beyond the volume's end " + length());
        }
        return s[i];
    }

    /** Marks the pages of [offset, offset + length) dirty; the range lies within one slice. */
    private void markDirty(long offset, long length) {
        byte[] d = dirty[(int) (offset >>> sliceShift)];
        int first = (int) (offset & sliceMask) >>> PAGE_SHIFT;
        int last = (int) ((offset & sliceMask) + Math.max(length, 1) - 1) >>> PAGE_SHIFT;
        for (int p = first; p <= last; p++) {
            d[p] = 1;
        }
    }

    @Override
    public void ensureAvailable(long offset) {
        offset = DataIO.roundUp(offset, sliceSize);
        int count = (int) (offset >>> sliceShift);
        if (count <= slices.length) {
            return;
        }
        growLock.lock();
        try {
            byte[][] s = slices;
            if (count <= s.length) {
                return;
            }
            byte[][] grown = Arrays.copyOf(s, count);
            for (int i = s.length; i < count; i++) {
                grown[i] = new byte[sliceSize];
            }
            byte[][] d = Arrays.copyOf(dirty, count);
            for (int i = s.length; i < count; i++) {
                // zeroes the file does not have yet: written at the next sync
                d[i] = new byte[pagesPerSlice];
                Arrays.fill(d[i], (byte) 1);
            }
            dirty = d;
            slices = grown;
        } catch (OutOfMemoryError e) {
            throw new DBException.OutOfMemory(e);
        } finally {
            growLock.unlock();
        }
    }

    @Override
    public void truncate(long size) {
        int count = (int) (DataIO.roundUp(size, sliceSize) >>> sliceShift);
        growLock.lock();
        try {
            if (count >= slices.length) {
                ensureAvailable(size);
                return;
            }
            slices = Arrays.copyOf(slices, count);
            dirty = Arrays.copyOf(dirty, count);
        } finally {
            growLock.unlock();
        }
    }

    @Override
    public void putLong(long offset, long value) {
        DataIO.putLong(slice(offset), (int) (offset & sliceMask), value);
        markDirty(offset, 8);
    }

    @Override
    public void putInt(long offset, int value) {
        byte[] b = slice(offset);
        int pos = (int) (offset & sliceMask);
        b[pos] = (byte) (value >>> 24);
        b[pos + 1] = (byte) (value >>> 16);
        b[pos + 2] = (byte) (value >>> 8);
        b[pos + 3] = (byte) value;
        markDirty(offset, 4);
    }

    @Override
    public void putByte(long offset, byte value) {
        slice(offset)[(int) (offset & sliceMask)] = value;
        markDirty(offset, 1);
    }

    @Override
    public void putData(long offset, byte[] src, int srcPos, int srcSize) {
        System.arraycopy(src, srcPos, slice(offset), (int) (offset & sliceMask), srcSize);
        markDirty(offset, srcSize);
    }

    @Override
    public void putData(long offset, ByteBuffer buf) {
        int n = buf.remaining();
        buf.get(slice(offset), (int) (offset & sliceMask), n);
        markDirty(offset, n);
    }

    @Override
    public void putDataOverlap(long offset, byte[] src, int srcPos, int srcSize) {
        while (srcSize > 0) {
            int pos = (int) (offset & sliceMask);
            int n = Math.min(srcSize, sliceSize - pos);
            putData(offset, src, srcPos, n);
            srcPos += n;
            srcSize -= n;
            offset += n;
        }
    }

    @Override
    public long getLong(long offset) {
        return DataIO.getLong(slice(offset), (int) (offset & sliceMask));
    }

    @Override
    public int getInt(long offset) {
        byte[] b = slice(offset);
        int pos = (int) (offset & sliceMask);
        return (b[pos] & 0xFF) << 24 | (b[pos + 1] & 0xFF) << 16 | (b[pos + 2] & 0xFF) << 8 | (b[pos + 3] & 0xFF);
    }

    @Override
    public byte getByte(long offset) {
        return slice(offset)[(int) (offset & sliceMask)];
    }

    @Override
    public DataInput2 getDataInput(long offset, int size) {
        return new DataInput2.ByteArray(slice(offset), (int) (offset & sliceMask));
    }

    @Override
    public DataInput2 getDataInputOverlap(long offset, int size) {
        if (offset >>> sliceShift == (offset + size) >>> sliceShift) {
            return getDataInput(offset, size);
        }
        byte[] copy = new byte[size];
        getDataOverlap(offset, copy, size);
        return new DataInput2.ByteArray(copy);
    }

    private void getDataOverlap(long offset, byte[] dst, int size) {
        int done = 0;
        while (done < size) {
            int pos = (int) (offset & sliceMask);
            int n = Math.min(size - done, sliceSize - pos);
            System.arraycopy(slice(offset), pos, dst, done, n);
            done += n;
            offset += n;
        }
    }

    @Override
    public void getData(long offset, byte[] bytes, int bytesPos, int size) {
        System.arraycopy(slice(offset), (int) (offset & sliceMask), bytes, bytesPos, size);
    }

    @Override
    public void clear(long startOffset, long endOffset) {
        Arrays.fill(slice(startOffset), (int) (startOffset & sliceMask),
                (int) (startOffset & sliceMask) + (int) (endOffset - startOffset), (byte) 0);
        markDirty(startOffset, endOffset - startOffset);
    }

    @Override
    public void copyTo(long inputOffset, Volume target, long targetOffset, long size) {
        target.putData(targetOffset, slice(inputOffset), (int) (inputOffset & sliceMask), (int) size);
    }

    /** Writes every dirty page to the file, sets the file's length to the volume's, and fsyncs. */
    @Override
    public void sync() {
        synchronized (syncLock) {
            try {
                byte[][] s = slices;
                byte[][] d = dirty;
                for (int i = 0; i < Math.min(s.length, d.length); i++) {
                    writeDirtyPages(i, s[i], d[i]);
                }
                long length = (long) s.length << sliceShift;
                if (channel.size() > length) {
                    channel.truncate(length);
                }
                channel.force(true);
            } catch (IOException e) {
                throw new DBException.VolumeIOError(e);
            }
        }
    }

    /** Writes each run of dirty pages of one slice with one write. */
    private void writeDirtyPages(int slice, byte[] data, byte[] pageDirty) throws IOException {
        int page = 0;
        while (page < pagesPerSlice) {
            if (pageDirty[page] == 0) {
                page++;
                continue;
            }
            int end = page;
            while (end < pagesPerSlice && pageDirty[end] != 0) {
                pageDirty[end++] = 0;
            }
            ByteBuffer buf = ByteBuffer.wrap(data, page << PAGE_SHIFT, (end - page) << PAGE_SHIFT);
            long fileOffset = (long) slice << sliceShift;
            while (buf.hasRemaining()) {
                channel.write(buf, fileOffset + buf.position());
            }
            page = end;
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            sync();
            channel.close();
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        } finally {
            slices = null;
        }
    }

    /** Closes the file without writing anything back: for a file MapDB refused to open. */
    void abandon() {
        closed.set(true);
        slices = null;
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was written through it, and the caller deletes the file next
        }
    }

    @Override
    public int sliceSize() {
        return sliceSize;
    }

    @Override
    public boolean isSliced() {
        return true;
    }

    @Override
    public long length() {
        return (long) slices.length << sliceShift;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public File getFile() {
        return file;
    }

    @Override
    public boolean getFileLocked() {
        return false;
    }
}
