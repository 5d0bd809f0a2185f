package io.ketch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ketch.server.EtcdFlags;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuotaFlagTest {
    @Test
    void quotaBackendBytesDefaultsToZeroAndTakesFlagOrEnvironment() throws Exception {
        assertEquals("0", EtcdFlags.parse(new String[0], Map.of()).values().get("quota-backend-bytes"));
        assertEquals("1024", EtcdFlags.parse(new String[] {"--quota-backend-bytes", "1024"}, Map.of())
                .values().get("quota-backend-bytes"));
        assertEquals("-1", EtcdFlags.parse(new String[0], Map.of("ETCD_QUOTA_BACKEND_BYTES", "-1"))
                .values().get("quota-backend-bytes"));
    }

    @Test
    void aQuotaThatIsNotANumberIsRefusedBeforeAnythingIsConfigured() throws Exception {
        Map<String, String> v = new java.util.HashMap<>(
                EtcdFlags.parse(new String[] {"--quota-backend-bytes=2GB"}, Map.of()).values());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KetchMain.configure(v));
        assertEquals("invalid value \"2GB\" for flag -quota-backend-bytes", e.getMessage());
    }
}
