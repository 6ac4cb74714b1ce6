package dev.spindle.security;

import java.util.Collection;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;

/**
 * An API key: before authentication the key as sent, after it the key's name and roles, the key
 * itself dropped.
 */
final class ApiKeyAuthentication extends AbstractAuthenticationToken {

    private final String name;

    private @Nullable String key;

    private ApiKeyAuthentication(String name, @Nullable String key, Collection<? extends GrantedAuthority> authorities,
            boolean authenticated) {
        super(authorities);
        this.name = name;
        this.key = key;
        setAuthenticated(authenticated);
    }

    /** A key as a client sent it, with the user name it gave, if any (RESP {@code AUTH user pass}). */
    static ApiKeyAuthentication unauthenticated(@Nullable String user, String key) {
        return new ApiKeyAuthentication(user == null ? "" : user, key, List.of(), false);
    }

    static ApiKeyAuthentication authenticated(String name, Collection<? extends GrantedAuthority> authorities) {
        return new ApiKeyAuthentication(name, null, authorities, true);
    }

    @Override
    public @Nullable Object getCredentials() {
        return key;
    }

    @Override
    public Object getPrincipal() {
        return name;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public void eraseCredentials() {
        key = null;
        super.eraseCredentials();
    }

    @Override
    public String toString() {
        // never the key
        return "ApiKeyAuthentication[" + name + ", " + getAuthorities() + ", authenticated=" + isAuthenticated() + "]";
    }
}
