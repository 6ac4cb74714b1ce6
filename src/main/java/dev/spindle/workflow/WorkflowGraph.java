package dev.spindle.workflow;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.spindle.job.InputChecks;
import org.jspecify.annotations.Nullable;

/**
 * The shape of a submitted workflow: step ids unique and well formed, every dependency a step of
 * the workflow other than the step itself, and no cycle. What is wrong goes to the error list,
 * naming the steps.
 */
final class WorkflowGraph {

    static final int MAX_STEP_ID = 100;

    private WorkflowGraph() {
    }

    /** Checks the steps; adds what is wrong to {@code errors}. */
    static void check(List<@Nullable StepRequest> steps, List<String> errors) {
        int before = errors.size();
        Map<String, Integer> index = new HashMap<>();
        Set<String> duplicates = new LinkedHashSet<>();
        for (int i = 0; i < steps.size(); i++) {
            StepRequest step = steps.get(i);
            if (step == null) {
                errors.add("steps[" + i + "]: must be a step object, not null");
                continue;
            }
            String id = step.id();
            if (id == null || id.isBlank()) {
                errors.add("steps[" + i + "].id: must not be blank");
                continue;
            }
            if (id.length() > MAX_STEP_ID) {
                errors.add("steps[" + i + "].id: must be at most " + MAX_STEP_ID + " characters");
            }
            InputChecks.text("steps[" + i + "].id", id, errors);
            if (index.putIfAbsent(id, i) != null) {
                duplicates.add(id);
            }
        }
        if (!duplicates.isEmpty()) {
            errors.add("steps: step ids must be unique; given more than once: " + quoted(duplicates));
        }
        for (int i = 0; i < steps.size(); i++) {
            StepRequest step = steps.get(i);
            if (step == null || step.id() == null) {
                continue;
            }
            Set<String> seen = new HashSet<>();
            for (String dependency : step.dependencies()) {
                String at = "steps[" + i + "].dependsOn";
                if (dependency == null) {
                    errors.add(at + ": must name steps, not null");
                }
                else if (dependency.equals(step.id())) {
                    errors.add(at + ": step '" + step.id() + "' depends on itself");
                }
                else if (!index.containsKey(dependency)) {
                    errors.add(at + ": unknown step '" + abbreviate(dependency) + "'");
                }
                else if (!seen.add(dependency)) {
                    errors.add(at + ": step '" + dependency + "' is named twice");
                }
            }
        }
        if (errors.size() == before) {
            List<String> cycle = cycle(steps, index);
            if (!cycle.isEmpty()) {
                errors.add("steps: the dependencies make a cycle (a → b: a depends on b): " + String.join(" → ", cycle.stream()
                    .map(id -> "'" + id + "'")
                    .toList()));
            }
        }
    }

    /**
     * A cycle among the steps (its ids, the first repeated at the end), or empty when there is none:
     * a depth-first walk without recursion, so a chain of any length fits the stack.
     */
    private static List<String> cycle(List<@Nullable StepRequest> steps, Map<String, Integer> index) {
        int n = steps.size();
        // 0 unvisited, 1 on the current path, 2 done
        int[] mark = new int[n];
        int[] parent = new int[n];
        int[] next = new int[n];
        for (int root = 0; root < n; root++) {
            if (mark[root] != 0) {
                continue;
            }
            Deque<Integer> path = new ArrayDeque<>();
            path.push(root);
            mark[root] = 1;
            parent[root] = -1;
            while (!path.isEmpty()) {
                int at = path.peek();
                List<String> dependencies = dependencies(steps.get(at));
                if (next[at] == dependencies.size()) {
                    mark[at] = 2;
                    path.pop();
                    continue;
                }
                int to = index.get(dependencies.get(next[at]++));
                if (mark[to] == 1) {
                    List<String> cycle = new ArrayList<>();
                    cycle.add(id(steps, to));
                    for (int step = at; step != to; step = parent[step]) {
                        cycle.add(id(steps, step));
                    }
                    cycle.add(id(steps, to));
                    return cycle.reversed();
                }
                if (mark[to] == 0) {
                    mark[to] = 1;
                    parent[to] = at;
                    path.push(to);
                }
            }
        }
        return List.of();
    }

    private static List<String> dependencies(@Nullable StepRequest step) {
        return step == null ? List.of() : step.dependencies();
    }

    private static String id(List<@Nullable StepRequest> steps, int at) {
        StepRequest step = steps.get(at);
        return step == null || step.id() == null ? "?" : step.id();
    }

    private static String quoted(Set<String> ids) {
        return String.join(", ", ids.stream().map(id -> "'" + abbreviate(id) + "'").toList());
    }

    private static String abbreviate(String id) {
        return id.length() <= MAX_STEP_ID ? id : id.substring(0, MAX_STEP_ID) + "…";
    }
}
