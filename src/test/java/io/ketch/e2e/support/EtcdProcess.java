package io.ketch.e2e.support;

import java.util.List;

/** The reference: the real etcd binary on PATH (3.4.23 here). */
public final class EtcdProcess extends AbstractServerProcess {

    public EtcdProcess(ServerSpec spec) {
        super(spec);
    }

    public static List<String> executable() {
        return List.of(System.getProperty("ketch.e2e.etcd", "etcd"));
    }

    @Override
    public String kind() {
        return "etcd";
    }

    @Override
    protected List<String> launcher() {
        return executable();
    }
}
