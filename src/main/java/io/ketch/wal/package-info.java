/**
 * The write-ahead log: the source of truth for what this member has durably accepted.
 *
 * <h2>Directory</h2>
 * Segment files {@code %016x-%016x.wal} (sequence number, {@code lastIndex + 1} when the segment was
 * started), consecutive sequence numbers, oldest first. {@code *.tmp} files are segments being prepared
 * and are deleted on open. The segment being written is locked (fcntl) while open.
 *
 * <h2>Segment file</h2>
 * <pre>
 *   header   int32 magic 0x4c41574b ("KWAL"), int32 version 1
 *   records  back to back, then zeros up to the preallocated size (only in the last segment)
 * </pre>
 * All integers are little-endian. A record is
 * <pre>
 *   int32 length     of the payload (not counting this 9-byte header)
 *   int32 crc        CRC32C of the type byte followed by the payload
 *   byte  type       1 = ENTRY, 2 = HARD_STATE, 3 = SNAPSHOT (0 is never used, so zeros never parse)
 *   payload          ENTRY:      int64 index, int64 term, int32 entry type, data (length - 20 bytes)
 *                    HARD_STATE: int64 term, int64 vote, int64 commit
 *                    SNAPSHOT:   int64 index, int64 term
 * </pre>
 * A record never spans two segments. A new segment starts with a copy of the latest hard state and
 * snapshot marker, so any suffix of the chain replays to the same state. When a segment is full it is cut
 * to its last record and fsynced before the next one is renamed into place; hence only the last segment
 * can end in a torn write, and a bad record anywhere else is corruption.
 *
 * <h2>Replay</h2>
 * Records apply in file order: an entry at an index already present replaces it and drops the later
 * ones; a snapshot marker drops the entries it covers; the last hard state wins.
 */
package io.ketch.wal;
