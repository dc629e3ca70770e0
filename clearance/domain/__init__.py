"""Pure domain: item states and transitions, roles, manifests. No I/O."""
