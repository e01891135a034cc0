package reelstack.searchnode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.client.Client;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts a single-node OpenSearch cluster on loopback, for the local cloud.
 *
 * <pre>
 * java -Xmx512m -jar search-node.jar --home DIR --http-port N [--transport-port N]
 *      [--exit-on-stdin-close] [-Ekey=value ...]
 * </pre>
 *
 * Its config, data and logs live under DIR (config/, data/, logs/). It prints {@code started
 * http://127.0.0.1:N} once the node is started, stops cleanly on SIGTERM (the node is closed), and
 * with {@code --exit-on-stdin-close} also when its standard input closes: the parent that holds
 * the other end died or let go of it.
 */
public final class SearchNode {
    private static final List<Class<? extends Plugin>> MODULES = List.of(
        Netty4Plugin.class,
        CommonAnalysisPlugin.class,
        PainlessPlugin.class,
        MapperExtrasPlugin.class,
        ReindexPlugin.class
    );

    private static final String NODE_NAME = "reelstack-search";

    private SearchNode() {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        // As the distribution's jvm.options: the node closes its own logging (after its last line).
        System.setProperty("log4j.shutdownHookEnabled", "false");
        System.setProperty("log4j2.disable.jmx", "true");
        System.setProperty("log4j2.formatMsgNoLookups", "true");
        Environment environment = prepare(options);
        LogConfigurator.setNodeName(NODE_NAME);
        LogConfigurator.configure(environment);
        Node node = new ClasspathNode(environment, MODULES);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close(node);
            stopped.countDown();
        }, "search-node-shutdown"));
        node.start();
        defaultToNoReplicas(node);
        System.out.println("started http://127.0.0.1:" + options.httpPort);
        System.out.flush();
        if (options.exitOnStdinClose) {
            watchStdin();
        }
        stopped.await(); // the node's threads are daemons: this keeps the JVM up until it stops
    }

    private static Environment prepare(Options options) throws IOException {
        Path home = options.home.toAbsolutePath();
        Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        try (InputStream log4j = SearchNode.class.getResourceAsStream("/log4j2.properties")) {
            Files.copy(log4j, config.resolve("log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        }
        Settings.Builder settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "reelstack-local")
            .put("node.name", NODE_NAME)
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", options.httpPort)
            // A developer's disk may be nearly full; the watermarks would then refuse writes.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", true);
        if (options.transportPort != null) {
            settings.put("transport.port", options.transportPort);
        }
        settings.put(options.extra.build());
        return InternalSettingsPreparer.prepareEnvironment(
            settings.build(), Collections.emptyMap(), config, () -> NODE_NAME);
    }

    /**
     * One node holds every shard: a replica could never be assigned and the health would stay
     * yellow. The default number of replicas is read from the cluster's persistent settings only
     * (a node setting is ignored), so it is set there, once the cluster has a manager.
     */
    private static void defaultToNoReplicas(Node node) {
        Client client = node.client();
        client.admin().cluster().prepareHealth().setWaitForYellowStatus().get(TimeValue.timeValueSeconds(60));
        client.admin().cluster().prepareUpdateSettings()
            .setPersistentSettings(Settings.builder().put("cluster.default_number_of_replicas", 0))
            .get(TimeValue.timeValueSeconds(60));
    }

    private static void close(Node node) {
        try {
            node.close();
            if (!node.awaitClose(20, TimeUnit.SECONDS)) {
                System.err.println("search node: not closed within 20 s");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("search node: close failed: " + e);
        }
    }

    /** Exit (the shutdown hook closes the node) once standard input reaches its end. */
    private static void watchStdin() {
        Thread watcher = new Thread(() -> {
            try {
                byte[] buffer = new byte[256];
                while (System.in.read(buffer) >= 0) {
                    // input is ignored; only its end matters
                }
            } catch (IOException e) {
                // a broken pipe is an end too
            }
            System.exit(0);
        }, "search-node-stdin");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** The command line. */
    static final class Options {
        Path home;
        int httpPort = 9200;
        Integer transportPort;
        boolean exitOnStdinClose;
        final Settings.Builder extra = Settings.builder();

        static Options parse(String[] args) {
            Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--home" -> options.home = Path.of(value(args, ++i, arg));
                    case "--http-port" -> options.httpPort = Integer.parseInt(value(args, ++i, arg));
                    case "--transport-port" -> options.transportPort = Integer.parseInt(value(args, ++i, arg));
                    case "--exit-on-stdin-close" -> options.exitOnStdinClose = true;
                    default -> {
                        if (!arg.startsWith("-E") || !arg.contains("=")) {
                            throw new IllegalArgumentException("unknown argument: " + arg);
                        }
                        String[] pair = arg.substring(2).split("=", 2);
                        options.extra.put(pair[0], pair[1]);
                    }
                }
            }
            if (options.home == null) {
                throw new IllegalArgumentException("--home DIR is required");
            }
            return options;
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }
    }
}
