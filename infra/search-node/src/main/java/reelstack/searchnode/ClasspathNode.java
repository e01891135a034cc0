package reelstack.searchnode;

import java.util.Collection;
import org.opensearch.env.Environment;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

/**
 * A node whose plugins are classes on the classpath rather than folders under modules/ and
 * plugins/ (the way OpenSearch's test framework starts nodes). Node's constructor for that is
 * protected: this subclass only opens it.
 */
final class ClasspathNode extends Node {
    ClasspathNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
        super(environment, plugins, true);
    }
}
