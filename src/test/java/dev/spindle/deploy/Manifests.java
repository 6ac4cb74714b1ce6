package dev.spindle.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** Kubernetes manifests as rendered by {@code helm template}, parsed as plain YAML. */
record Manifests(List<Map<String, Object>> documents) {

    static Manifests parse(String yaml) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(new LoaderOptions()).loadAll(yaml)) {
            if (document != null) {
                documents.add(asMap(document));
            }
        }
        return new Manifests(documents);
    }

    List<Map<String, Object>> ofKind(String kind) {
        return documents.stream().filter(document -> kind.equals(document.get("kind"))).toList();
    }

    /** The one manifest of a kind whose name ends with the suffix ("" for any name). */
    Map<String, Object> one(String kind, String nameSuffix) {
        List<Map<String, Object>> found = ofKind(kind).stream()
            .filter(document -> string(document, "metadata", "name").endsWith(nameSuffix))
            .toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + " named *" + nameSuffix + ", found " + found.size());
        }
        return found.getFirst();
    }

    /** The value at a path of map keys and list indexes, or null where the path ends early. */
    static Object at(Object node, Object... path) {
        Object current = node;
        for (Object step : path) {
            if (current instanceof Map<?, ?> map && step instanceof String key) {
                current = map.get(key);
            }
            else if (current instanceof List<?> list && step instanceof Integer index && index < list.size()) {
                current = list.get(index);
            }
            else {
                return null;
            }
        }
        return current;
    }

    static String string(Object node, Object... path) {
        return Objects.toString(at(node, path), null);
    }

    static Map<String, Object> map(Object node, Object... path) {
        Object value = at(node, path);
        if (!(value instanceof Map<?, ?>)) {
            throw new AssertionError("no map at " + List.of(path) + " in " + node);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        return map;
    }

    static List<Map<String, Object>> list(Object node, Object... path) {
        Object value = at(node, path);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> items)) {
            throw new AssertionError("no list at " + List.of(path) + " in " + node);
        }
        return items.stream().map(Manifests::asMap).toList();
    }

    /** The item of a list of maps whose "name" is the given one. */
    static Map<String, Object> named(List<Map<String, Object>> items, String name) {
        return items.stream().filter(item -> name.equals(item.get("name"))).findFirst()
            .orElseThrow(() -> new AssertionError("no item named " + name + " in " + items));
    }

    private static Map<String, Object> asMap(Object node) {
        return map(node, new Object[0]);
    }
}
