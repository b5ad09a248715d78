package io.upshift.security;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.authority.mapping.GrantedAuthoritiesMapper;
import org.springframework.security.oauth2.core.oidc.user.OidcUserAuthority;
import org.springframework.security.oauth2.core.user.OAuth2UserAuthority;

/**
 * Gives an OIDC login Upshift roles: every value of the configured claim that is the configured
 * prefix followed by a {@link Role} name (case-insensitive) becomes that role. Scopes and other
 * authorities the provider grants are dropped, so only the identity provider's role assignment
 * decides what a user may do.
 */
class OidcRoleMapper implements GrantedAuthoritiesMapper {

  private final String claim;
  private final String prefix;

  OidcRoleMapper(String claim, String prefix) {
    this.claim = claim;
    this.prefix = prefix.toUpperCase(Locale.ROOT);
  }

  @Override
  public Collection<? extends GrantedAuthority> mapAuthorities(
      Collection<? extends GrantedAuthority> authorities) {
    Set<GrantedAuthority> roles = new LinkedHashSet<>();
    for (GrantedAuthority authority : authorities) {
      Object value = null;
      if (authority instanceof OidcUserAuthority oidc) {
        value = oidc.getAttributes().get(claim);
      } else if (authority instanceof OAuth2UserAuthority oauth2) {
        value = oauth2.getAttributes().get(claim);
      }
      if (value instanceof Collection<?> values) {
        values.forEach(v -> add(roles, String.valueOf(v)));
      } else if (value instanceof String text) {
        for (String part : text.split("[,\\s]+")) {
          add(roles, part);
        }
      }
    }
    return roles;
  }

  private void add(Set<GrantedAuthority> roles, String value) {
    String name = value.strip().toUpperCase(Locale.ROOT);
    for (Role role : Role.values()) {
      if ((prefix + role.name()).equals(name)) {
        roles.add(new SimpleGrantedAuthority(role.authority()));
      }
    }
  }
}
