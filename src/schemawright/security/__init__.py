"""Step 9: security designed from the spec's `security:` section.

Roles and least-privilege grants, tenant isolation by row-level security and tenant-keyed
foreign keys, PII encryption or masking, the audit trail, and the TLS / pgaudit
configuration fragments.  Each module is a pure Design -> Design step (or a renderer)."""
