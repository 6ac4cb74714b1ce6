package dev.spindle.security;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.spindle.config.SecurityProperties.Role;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * A JWT as a caller: its subject is the principal; each scope named the prefix and a role
 * ({@code spindle:read}) grants that role. Scopes come from {@code scope} (space-separated, RFC
 * 8693) or {@code scp} (a list, as some issuers send).
 */
final class JwtRoles implements Converter<Jwt, AbstractAuthenticationToken> {

    private final String prefix;

    JwtRoles(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String scope : scopes(jwt)) {
            if (scope.startsWith(prefix)) {
                String name = scope.substring(prefix.length()).toUpperCase(Locale.ROOT);
                for (Role role : Role.values()) {
                    if (role.name().equals(name)) {
                        roles.add(role);
                    }
                }
            }
        }
        return new JwtAuthenticationToken(jwt, roles.isEmpty() ? List.of() : Roles.authorities(roles), jwt.getSubject());
    }

    private static Collection<String> scopes(Jwt jwt) {
        Object scope = jwt.getClaims().get("scope");
        if (scope instanceof String text) {
            return List.of(text.split(" "));
        }
        Object scp = jwt.getClaims().get("scp");
        if (scp instanceof Collection<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return List.of();
    }
}
