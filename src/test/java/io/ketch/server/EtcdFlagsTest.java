package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EtcdFlagsTest {

    @Test
    void defaultsAreEtcdsWithDataDirNamedAfterTheMember() throws Exception {
        Map<String, String> v = EtcdFlags.parse(new String[0], Map.of()).values();
        assertEquals("default", v.get("name"));
        assertEquals("default.ketch", v.get("data-dir"));
        assertEquals("http://localhost:2379", v.get("listen-client-urls"));
        assertEquals("1572864", v.get("max-request-bytes"));
        assertEquals("128", v.get("max-txn-ops"));
        assertEquals("default=http://localhost:2380", v.get("initial-cluster"));
    }

    @Test
    void acceptsGoFlagSpellings() throws Exception {
        Map<String, String> v = EtcdFlags.parse(new String[] {"--name", "a", "-data-dir=/x", "--max-txn-ops=7",
                "-snapshot-count", "9"}, Map.of()).values();
        assertEquals("a", v.get("name"));
        assertEquals("/x", v.get("data-dir"));
        assertEquals("7", v.get("max-txn-ops"));
        assertEquals("9", v.get("snapshot-count"));
    }

    @Test
    void initialClusterDefaultsToTheNamedMemberAlone() throws Exception {
        Map<String, String> v = EtcdFlags.parse(new String[] {"--name=m1",
                "--initial-advertise-peer-urls=http://10.0.0.1:2380"}, Map.of()).values();
        assertEquals("m1=http://10.0.0.1:2380", v.get("initial-cluster"));
        assertEquals("a=http://x:1", EtcdFlags.parse(new String[] {"--name=m1", "--initial-cluster=a=http://x:1"},
                Map.of()).values().get("initial-cluster"));
    }

    @Test
    void dataDirDefaultFollowsTheName() throws Exception {
        assertEquals("m1.ketch", EtcdFlags.parse(new String[] {"--name=m1"}, Map.of()).values().get("data-dir"));
    }

    @Test
    void environmentVariablesApplyAndFlagsWinOverThem() throws Exception {
        Map<String, String> env = Map.of("ETCD_NAME", "fromenv", "ETCD_MAX_TXN_OPS", "5");
        Map<String, String> v = EtcdFlags.parse(new String[] {"--max-txn-ops=6"}, env).values();
        assertEquals("fromenv", v.get("name"));
        assertEquals("6", v.get("max-txn-ops"));
    }

    @Test
    void unknownFlagIsRefusedWithEtcdsMessage() {
        EtcdFlags.FlagException e = assertThrows(EtcdFlags.FlagException.class,
                () -> EtcdFlags.parse(new String[] {"--no-such-flag=1"}, Map.of()));
        assertEquals("flag provided but not defined: -no-such-flag", e.getMessage());
    }

    @Test
    void flagWithoutItsValueIsRefused() {
        assertThrows(EtcdFlags.FlagException.class, () -> EtcdFlags.parse(new String[] {"--name"}, Map.of()));
    }

    @Test
    void strayPositionalArgumentIsRefused() {
        assertThrows(EtcdFlags.FlagException.class, () -> EtcdFlags.parse(new String[] {"serve"}, Map.of()));
    }

    @Test
    void helpIsRecognisedInBothForms() throws Exception {
        assertTrue(EtcdFlags.parse(new String[] {"--help"}, Map.of()).help());
        assertTrue(EtcdFlags.parse(new String[] {"-h"}, Map.of()).help());
        assertFalse(EtcdFlags.parse(new String[] {"--name=x"}, Map.of()).help());
        assertTrue(EtcdFlags.usage().contains("--initial-cluster-token"));
    }

    @Test
    void booleanFlagNeedsNoValue() throws Exception {
        assertEquals("true", EtcdFlags.parse(new String[] {"--version"}, Map.of()).values().get("version"));
        assertThrows(EtcdFlags.FlagException.class, () -> EtcdFlags.parse(new String[] {"--version=maybe"}, Map.of()));
    }
}
