package io.ketch.bench;

/** One {@code host:port} of {@code --endpoints}. Plain-text gRPC only: there is no TLS support. */
public record Endpoint(String host, int port) {

    /** Parses {@code host:port}, {@code [v6addr]:port}, and etcdctl's {@code http://host:port} spelling. */
    public static Endpoint parse(String text) throws UsageException {
        String s = text.trim();
        if (s.startsWith("https://")) {
            throw new UsageException("TLS endpoints are not supported: " + text);
        }
        if (s.startsWith("http://")) {
            s = s.substring("http://".length());
        }
        if (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new UsageException("endpoint must be host:port: " + text);
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException("bad port in endpoint: " + text);
        }
        if (port < 1 || port > 65535) {
            throw new UsageException("bad port in endpoint: " + text);
        }
        return new Endpoint(host, port);
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
