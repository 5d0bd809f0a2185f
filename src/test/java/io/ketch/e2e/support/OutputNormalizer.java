package io.ketch.e2e.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites etcdctl output so that two implementations can be compared byte for byte. Only what
 * legitimately differs between two servers with the same history is replaced:
 * <ul>
 * <li>cluster and member IDs (JSON headers, "leader", member "ID", -w fields, table ID columns):
 * replaced by placeholders numbered in order of first appearance per server, so that equal IDs
 * stay equal and different IDs stay different (a "leader" that is not the member itself shows);</li>
 * <li>raft term, raft index and raft applied index (non-zero values: a zero stays visible);</li>
 * <li>the server version string (endpoint status);</li>
 * <li>DB size columns (dbSize, dbSizeInUse, "DB SIZE");</li>
 * <li>the server's own client and peer URLs and its endpoint address (ports are random);</li>
 * <li>in etcdctl's client-side log lines: the timestamp and the random client id; in
 * "endpoint health": the measured latency ("took = 1.2ms").</li>
 * </ul>
 * ASCII tables are re-rendered without padding and borders, since column widths follow the
 * (normalized) cell contents.
 */
public final class OutputNormalizer {
    private final ServerProcess server;
    private final Map<String, String> clusterIds = new LinkedHashMap<>();
    private final Map<String, String> memberIds = new LinkedHashMap<>();

    private static final Pattern JSON_CLUSTER_ID = Pattern.compile("(\"cluster_id\":)(\\d+)");
    private static final Pattern JSON_MEMBER_ID = Pattern.compile("(\"(?:member_id|leader|ID)\":)(\\d+)");
    private static final Pattern FIELDS_CLUSTER_ID = Pattern.compile("(\"ClusterID\" : )(\\d+)");
    private static final Pattern FIELDS_MEMBER_ID = Pattern.compile("(\"(?:MemberID|Leader|ID)\" : )(\\d+)");
    private static final Pattern RAFT_TERM = Pattern.compile("(\"(?:raft_term|raftTerm)\":|\"RaftTerm\" : )[1-9]\\d*");
    private static final Pattern RAFT_INDEX = Pattern.compile("(\"(?:raftIndex)\":|\"RaftIndex\" : )[1-9]\\d*");
    private static final Pattern RAFT_APPLIED = Pattern.compile("(\"(?:raftAppliedIndex)\":|\"RaftAppliedIndex\" : )[1-9]\\d*");
    private static final Pattern VERSION_STRING = Pattern.compile("(\"version\":|\"Version\" : )\"[^\"]*\"");
    private static final Pattern DB_SIZE = Pattern.compile("(\"(?:dbSize|dbSizeInUse)\":|\"(?:DBSize|DBSizeInUse)\" : )[1-9]\\d*");
    private static final Pattern LOG_TS = Pattern.compile("\"ts\":\"[^\"]*\"");
    private static final Pattern CLIENT_UUID = Pattern.compile("client-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern TOOK = Pattern.compile("took = [0-9.]+[a-zµ]*s");
    private static final Pattern TOOK_JSON = Pattern.compile("\"took\":\"[^\"]*\"");

    public OutputNormalizer(ServerProcess server) {
        this.server = server;
    }

    public String normalize(String text) {
        String s = text;
        s = s.replace(server.clientUrl(), "<CLIENT_URL>");
        s = s.replace(server.peerUrl(), "<PEER_URL>");
        s = s.replace("http://127.0.0.1:" + server.peerPort(), "<PEER_LISTEN_URL>");
        s = s.replace(server.endpoint(), "<ENDPOINT>");
        s = LOG_TS.matcher(s).replaceAll("\"ts\":\"<TS>\"");
        s = CLIENT_UUID.matcher(s).replaceAll("client-<UUID>");
        s = TOOK.matcher(s).replaceAll("took = <DURATION>");
        s = TOOK_JSON.matcher(s).replaceAll("\"took\":\"<DURATION>\"");
        s = mapIds(s, JSON_CLUSTER_ID, clusterIds, "CLUSTER_ID");
        s = mapIds(s, FIELDS_CLUSTER_ID, clusterIds, "CLUSTER_ID");
        s = mapIds(s, JSON_MEMBER_ID, memberIds, "MEMBER_ID");
        s = mapIds(s, FIELDS_MEMBER_ID, memberIds, "MEMBER_ID");
        s = RAFT_TERM.matcher(s).replaceAll("$1<RAFT_TERM>");
        s = RAFT_INDEX.matcher(s).replaceAll("$1<RAFT_INDEX>");
        s = RAFT_APPLIED.matcher(s).replaceAll("$1<RAFT_APPLIED_INDEX>");
        s = VERSION_STRING.matcher(s).replaceAll("$1\"<VERSION>\"");
        s = DB_SIZE.matcher(s).replaceAll("$1<DB_SIZE>");
        return normalizeTables(s);
    }

    private String memberPlaceholder(String decimalId) {
        return memberIds.computeIfAbsent(decimalId, k -> "<MEMBER_ID_" + (memberIds.size() + 1) + ">");
    }

    private static String mapIds(String s, Pattern p, Map<String, String> ids, String label) {
        Matcher m = p.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            // 0 (an unset ID, as in the nested headers of txn responses) stays 0
            String placeholder = m.group(2).equals("0") ? "0"
                    : ids.computeIfAbsent(m.group(2), k -> "<" + label + "_" + (ids.size() + 1) + ">");
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + placeholder));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Turns etcdctl's tablewriter tables into "| a | b |" rows with normalized cells and no borders. */
    private String normalizeTables(String s) {
        String[] lines = s.split("\n", -1);
        List<String> out = new ArrayList<>();
        List<String> header = null;
        boolean inTable = false;
        for (String line : lines) {
            if (line.startsWith("+-")) {
                inTable = true;
                continue;
            }
            if (inTable && line.startsWith("|")) {
                List<String> cells = cells(line);
                if (header == null) {
                    header = cells;
                    out.add(render(cells));
                } else {
                    List<String> normalized = new ArrayList<>();
                    for (int i = 0; i < cells.size(); i++) {
                        String column = i < header.size() ? header.get(i) : "";
                        normalized.add(normalizeCell(column, cells.get(i)));
                    }
                    out.add(render(normalized));
                }
                continue;
            }
            inTable = false;
            header = null;
            out.add(line);
        }
        return String.join("\n", out);
    }

    private String normalizeCell(String column, String cell) {
        if (cell.equals("0") || cell.equals("0 B")) {
            return cell; // a zero term, index or size is not "another value", it is a missing one: keep it visible
        }
        Function<String, String> f = switch (column) {
            case "ID" -> c -> c.matches("[0-9a-f]+") ? memberPlaceholder(Long.toUnsignedString(Long.parseUnsignedLong(c, 16))) : c;
            case "VERSION" -> c -> "<VERSION>";
            case "DB SIZE", "DB SIZE IN USE" -> c -> "<DB_SIZE>";
            case "RAFT TERM" -> c -> "<RAFT_TERM>";
            case "RAFT INDEX" -> c -> "<RAFT_INDEX>";
            case "RAFT APPLIED INDEX" -> c -> "<RAFT_APPLIED_INDEX>";
            default -> c -> c;
        };
        return f.apply(cell);
    }

    private static List<String> cells(String line) {
        String inner = line.substring(1, line.endsWith("|") && line.length() > 1 ? line.length() - 1 : line.length());
        List<String> cells = new ArrayList<>();
        for (String c : inner.split("\\|", -1)) {
            cells.add(c.trim());
        }
        return cells;
    }

    private static String render(List<String> cells) {
        return "| " + String.join(" | ", cells) + " |";
    }
}
