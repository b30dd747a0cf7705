"""Secrets that must never survive `redact`, and ordinary lines it must leave alone.

Each secret case is ``(family, text, secret)``: ``secret`` is the substring that must be gone
after redaction. The tokens have the real shapes (prefixes, lengths, alphabets) of the services
they imitate but are made up; none of them was ever valid. Benign lines are what real
controllers and databases print and must come back byte-for-byte.
"""

from __future__ import annotations

from typing import Final

_PEM_RSA: Final = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)
_PEM_OPENSSH: Final = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDmYk0y5Qv9aRk2Wq0xZxkS4g8s0Xq0b7KQd1m3h2Zr5wAAAJgAAAAAAAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
_GITHUB_PAT: Final = (
    "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab"
)
_JWT: Final = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjVHc0lZeU5xIn0"
    ".eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNhOmFyZ29jZDpib3QifQ"
    ".Qm9ndXNTaWduYXR1cmVGb3JUZXN0c09ubHlfX2RvX25vdF91c2VfMDEyMzQ1Njc4OQ"
)

SECRETS: Final[tuple[tuple[str, str, str], ...]] = (
    # --- credentials in URLs and DSNs
    (
        "dsn",
        'level=error msg="connect failed" dsn="postgres://payments:Xk9#mq2LpZ@db.payments:5432/app"',
        "Xk9#mq2LpZ",
    ),
    ("dsn", "Error: redis://:r3d1sPassw0rd@gitea-redis-cluster:6379/0 refused", "r3d1sPassw0rd"),
    (
        "dsn",
        "fatal: unable to access 'https://gitops-bot:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/org/repo.git/'",
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    (
        "dsn",
        "mongodb://admin:Tr0ub4dor%263@mongodb-0.mongodb:27017/?authSource=admin",
        "Tr0ub4dor%263",
    ),
    ("dsn", "amqp://guest:p@ssw0rd-with-at@rabbitmq:5672/", "p@ssw0rd-with-at"),
    ("dsn", "[mysql] dial root:M3gaS3cret@tcp(mysql:3306)/n8n?parseTime=true", "M3gaS3cret"),
    # --- authorization headers and bearer tokens
    (
        "bearer",
        "GET /api/v1/applications Authorization: Bearer 7f9c2ba4e88f827d616045507605853e",
        "7f9c2ba4e88f827d616045507605853e",
    ),
    (
        "bearer",
        "request headers: map[Accept:[*/*] Authorization:[Bearer s.Kq8zVn1mW4rT6yU0pL3xH9]]",
        "s.Kq8zVn1mW4rT6yU0pL3xH9",
    ),
    ("bearer", "curl -H 'authorization: token 0f3a9c1d7e5b2a8f' https://api", "0f3a9c1d7e5b2a8f"),
    ("bearer", "Authorization: Basic YWRtaW46c3VwZXJzZWNyZXQ=", "YWRtaW46c3VwZXJzZWNyZXQ="),
    ("bearer", "upstream call bearer=Zm9vYmFyYmF6cXV4MTIz failed", "Zm9vYmFyYmF6cXV4MTIz"),
    ("bearer", "retrying with Bearer q8Wm2ZpL0vX7nR4k after 401", "q8Wm2ZpL0vX7nR4k"),
    # --- JWTs
    ("jwt", f"token refreshed: {_JWT}", _JWT),
    ("jwt", f'{{"level":"debug","sa_token":"{_JWT}"}}', _JWT),
    ("jwt", f"Authorization: Bearer {_JWT}", _JWT),
    # --- AWS
    ("aws", "using static credentials AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"),
    ("aws", "assumed role, session key ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    (
        "aws",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "aws",
        '{"AccessKeyId":"AKIAI44QH8DHBEXAMPLE","SecretAccessKey":"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}',
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ),
    # --- GitHub
    (
        "github",
        "git clone https://ghp_R8sTf2Kq9LmZx4Vb7Nw1Yc3Hd6Je0Pa5Ug2I@github.com/o/r",
        "ghp_R8sTf2Kq9LmZx4Vb7Nw1Yc3Hd6Je0Pa5Ug2I",
    ),
    (
        "github",
        "oauth exchange returned gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    (
        "github",
        f"GITHUB_TOKEN is {_GITHUB_PAT}",
        _GITHUB_PAT,
    ),
    # --- Slack
    (
        "slack",
        "posting digest with xoxb-2048593012-4829104823-Zq8RkLm2Vx9Tn4Wp1Ys7Hc3J",
        "xoxb-2048593012-4829104823-Zq8RkLm2Vx9Tn4Wp1Ys7Hc3J",
    ),
    (
        "slack",
        "user token xoxp-1111111111-2222222222-3333333333-4a4b4c4d4e4f5a5b5c5d5e5f",
        "xoxp-1111111111-2222222222-3333333333-4a4b4c4d4e4f5a5b5c5d5e5f",
    ),
    (
        "slack",
        "socket mode app token xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f",
        "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f",
    ),
    ("slack", "legacy xoxa-2-98765432101-abcdefabcdef0123", "xoxa-2-98765432101-abcdefabcdef0123"),
    (
        "slack",
        "webhook https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aBcDeFgHiJkLmNoPqRsTuVwX",
        "aBcDeFgHiJkLmNoPqRsTuVwX",
    ),
    # --- Google and other prefixed API keys
    (
        "google",
        "maps request key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY quota exceeded",
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    ),
    (
        "google",
        "geocoder client AIzaSyBx3Qw7Rt5Yu9Io1Pa2Sd4Fg6Hj8Kl0Zx_cV init",
        "AIzaSyBx3Qw7Rt5Yu9Io1Pa2Sd4Fg6Hj8Kl0Zx_cV",
    ),
    (
        "vendor",
        "anthropic client created with sk-ant-api03-Xq7Lm2Vn9Rt4Wz1Yp6Hc3Jd8Kf0Ga5Sb",
        "sk-ant-api03-Xq7Lm2Vn9Rt4Wz1Yp6Hc3Jd8Kf0Ga5Sb",
    ),
    ("vendor", "gitlab push with glpat-xR4mQ9vL2nZ7tW1yK8pB", "glpat-xR4mQ9vL2nZ7tW1yK8pB"),
    # --- private keys
    ("pem", f"tls.key:\n{_PEM_RSA}\n", _PEM_RSA.split("\n", 1)[1].rsplit("\n", 1)[0]),
    (
        "pem",
        f"deploy key loaded: {_PEM_OPENSSH}",
        _PEM_OPENSSH.split("\n", 1)[1].rsplit("\n", 1)[0],
    ),
    (
        "pem",
        '{"msg":"bad key","key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC'
        '\\n-----END PRIVATE KEY-----\\n"}',
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    ),
    # --- key=value, key: value, "key": "value", --flag value
    ("kv", "host=db user=payments password=hunter2 dbname=payments sslmode=require", "hunter2"),
    ("kv", 'level=info msg="login" PASSWD: Sup3r$ecret', "Sup3r$ecret"),
    ("kv", "pwd=0n3T1meP4d&user=admin", "0n3T1meP4d"),
    ("kv", "webhook configured token=9a8b7c6d5e4f3a2b1c0d", "9a8b7c6d5e4f3a2b1c0d"),
    ("kv", "SMTP_PASSWORD=mail-relay-2024!", "mail-relay-2024!"),
    ("kv", 'secret="correct horse battery staple"', "correct horse battery staple"),
    ("kv", "api_key = 'e3b98a4da31a127d4bde6e43033f66ba'", "e3b98a4da31a127d4bde6e43033f66ba"),
    ("kv", "apikey: 5f4dcc3b5aa765d61d8327deb882cf99", "5f4dcc3b5aa765d61d8327deb882cf99"),
    (
        "kv",
        '{"client_id":"drift-bot","client_secret":"Gx7\\"Q2mP9z LkW4"}',
        'Gx7\\"Q2mP9z LkW4',
    ),
    (
        "kv",
        "GET /callback?code=abc&access_token=ya29.A0ARrdaM-9x8y7z6&state=1",
        "ya29.A0ARrdaM-9x8y7z6",
    ),
    ("kv", "exec: vault login --password Zq9!mW2#xR", "Zq9!mW2#xR"),
    ("kv", "mysqldump --user=root --password=R00tPassw0rd app", "R00tPassw0rd"),
    ("kv", "  password: violet tangerine orbit", "violet tangerine orbit"),
    ("kv", "X-Api-Key: 8c6976e5b5410415bde908bd4dee15df", "8c6976e5b5410415bde908bd4dee15df"),
    ("kv", "{'username': 'admin', 'password': 'Adm1n!2024'}", "Adm1n!2024"),
    ("kv", "config: {User:admin Password:Pr0dP4ss}", "Pr0dP4ss"),
    ("kv", 'msg="apply" args="-e DB_PASSWORD=\\"s3cr3t val\\""', "s3cr3t val"),
    ("kv", "failed to refresh token: Kq8zVn1mW4rT6yU0pL3xH9", "Kq8zVn1mW4rT6yU0pL3xH9"),
    # --- issue #15: formats that leaked before (cloud, vendors, headers, CLIs)
    (
        "azure",
        "storage: DefaultEndpointsProtocol=https;AccountName=paymentsblob;AccountKey="
        "Qm9ndXNBenVyZUFjY291bnRLZXlGb3JUZXN0czAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9wcXJzdHV2dw==;"
        "EndpointSuffix=core.windows.net",
        "Qm9ndXNBenVyZUFjY291bnRLZXlGb3JUZXN0czAxMjM0NTY3ODlhYmNkZWZnaGlqa2xtbm9wcXJzdHV2dw==",
    ),
    (
        "azure",
        "GET https://paymentsblob.blob.core.windows.net/exports/q3.csv?sv=2022-11-02&ss=b&srt=o"
        "&sp=r&se=2026-12-31T23:59:59Z&spr=https&sig=Qm9ndXNTYXNTaWduYXR1cmUxMjM0NTY3OA%3D%3D 403",
        "Qm9ndXNTYXNTaWduYXR1cmUxMjM0NTY3OA",
    ),
    (
        "vault",
        "vault: renewed lease, token hvs.CAESIBogusVaultTokenForTests0nly9a8b7c6d5e4fGh4KHGh2cy5B",
        "hvs.CAESIBogusVaultTokenForTests0nly9a8b7c6d5e4fGh4KHGh2cy5B",
    ),
    (
        "vault",
        "using batch token hvb.AAAAAQJBogusBatchTokenValue0123456789abcdefXYZ",
        "AAAAAQJBogusBatchTokenValue0123456789abcdefXYZ",
    ),
    (
        "aws",
        "s3 client: using AKIAJ4QH8DHBEXAMPLEZ / Z9x2Lq7VbN4mW8tR1yK5pC3sD6fG0hJ2aE7uI9oP",
        "Z9x2Lq7VbN4mW8tR1yK5pC3sD6fG0hJ2aE7uI9oP",
    ),
    (
        "gcp",
        '{"type": "service_account", "project_id": "payments-prod", '
        '"private_key_id": "3f8a9c1d2e4b5a6f7081920a3b4c5d6e7f809112"}',
        "3f8a9c1d2e4b5a6f7081920a3b4c5d6e7f809112",
    ),
    ("cli", "+ mysql -h db.payments -uroot -pS3cr3tMy5ql payments < /tmp/seed.sql", "S3cr3tMy5ql"),
    ("cli", "exec mysqldump -u backup -p'Dump P4ss!' --all-databases", "Dump P4ss!"),
    ("kv", "bootstrap: password_b64=UGF5bWVudHNQdzEyMw== user=payments", "UGF5bWVudHNQdzEyMw=="),
    (
        "docker",
        '{"auths":{"registry.example.com":{"username":"ci","auth":"Y2k6UmVnaXN0cnlQdzk5"}}}',
        "Y2k6UmVnaXN0cnlQdzk5",
    ),
    (
        "kubeconfig",
        "    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUJvZ3Vz",
        "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUJvZ3Vz",
    ),
    (
        "dsn",
        "fatal: could not read from "
        "https://3f8a9c1d2e4b5a6f7081920a3b4c5d6e7f80aa12@github.com/org/repo.git",
        "3f8a9c1d2e4b5a6f7081920a3b4c5d6e7f80aa12",
    ),
    (
        "sentry",
        "Sentry is attempting to send 1 pending event to "
        "https://4f1c2b3a9d8e7f6a5b4c3d2e1f0a9b8c@o450123.ingest.sentry.io/5512345",
        "4f1c2b3a9d8e7f6a5b4c3d2e1f0a9b8c",
    ),
    (
        "sentry",
        "sentry dsn=https://0a1b2c3d4e5f60718293a4b5c6d7e8f9:9f8e7d6c5b4a39281706f5e4d3c2b1a0@sentry.internal/3",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    ),
    (
        "slack",
        "workflow trigger https://hooks.slack.com/triggers/T0123ABCD/5512345678901/0a1b2c3d4e5f6a7b8c9d0e1f",
        "0a1b2c3d4e5f6a7b8c9d0e1f",
    ),
    (
        "slack",
        "answering https://hooks.slack.com/commands/T0123ABCD/5512345678901/Zq8RkLm2Vx9Tn4Wp1Ys7",
        "Zq8RkLm2Vx9Tn4Wp1Ys7",
    ),
    (
        "vendor",
        "stripe: using sk_test_51HbogusTestKey0123456789abcdefABCDEF in staging",
        "sk_test_51HbogusTestKey0123456789abcdefABCDEF",
    ),
    (
        "vendor",
        "stripe webhook whsec_BogusWebhookSigningSecret0123456789ab configured",
        "whsec_BogusWebhookSigningSecret0123456789ab",
    ),
    (
        "vendor",
        "mailer: SG.Bogus0SendGridKey_1234.Bogus_SendGrid_Secret-Part0123456789abcdefXYZ1 rejected",
        "Bogus_SendGrid_Secret-Part0123456789abcdefXYZ1",
    ),
    (
        "vendor",
        "twine upload with "
        "pypi-AgEIcHlwaS5vcmcCJGJvZ3VzLXRva2VuLWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3ODk",
        "AgEIcHlwaS5vcmcCJGJvZ3VzLXRva2VuLWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3ODk",
    ),
    (
        "cookie",
        "request headers: Cookie: sessionid=q8Wm2ZpL0vX7nR4kBogus; csrftoken=Zx9Lm2Vn",
        "q8Wm2ZpL0vX7nR4kBogus",
    ),
    (
        "cookie",
        'upstream replied Set-Cookie: "argocd.token=BogusArgoSessionCookie42; Path=/; HttpOnly"',
        "BogusArgoSessionCookie42",
    ),
    (
        "kv",
        "AZURE_CLIENT_SECRET: Bogus~Azure.Client_Secret-42",
        "Bogus~Azure.Client_Secret-42",
    ),
    (
        "kv",
        "pg: conninfo 'host=db port=5432 user=app password=PgConnPw77 sslmode=disable'",
        "PgConnPw77",
    ),
)

LOG_TAILS: Final[tuple[tuple[str, str, str], ...]] = (
    (
        "yaml-pair",
        "applying env from manifest\n  - name: LOG_LEVEL\n    value: info\n"
        "  - name: DB_PASSWORD\n    value: TailYamlPw8\nerror: pod spec rejected",
        "TailYamlPw8",
    ),
    (
        "yaml-pair",
        'dumping config\n- name: "STRIPE_API_KEY"\n  value: "TailYamlKey9x"\nfatal: invalid config',
        "TailYamlKey9x",
    ),
    (
        "pem-headless",
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
        "kq2m4Xb9PzLw3Vn7Rt1Ys5Hc8Jd0Fg6Ae2Qi4Uo9\n"
        "-----END RSA PRIVATE KEY-----\n"
        "Error: failed to load TLS key pair: tls: private key does not match public key",
        "kq2m4Xb9PzLw3Vn7Rt1Ys5Hc8Jd0Fg6Ae2Qi4Uo9",
    ),
    (
        "pem-headless",
        "hbwKfBstIs+bMY2Zkp18gnTxKVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qK\n"
        "-----END PRIVATE KEY-----\npanic: crypto/tls: failed to parse private key",
        "hbwKfBstIs+bMY2Zkp18gnTxKVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qK",
    ),
)
"""Secrets that span lines of a log tail: each line alone looks harmless (or is cut)."""


BENIGN: Final[tuple[str, ...]] = (
    'FATAL:  password authentication failed for user "payments"',
    "passwordless login enabled for realm gitea",
    "loading tokenizer from /models/bert-base-uncased",
    "secretary service started on :8080",
    "token bucket refilled: 100 tokens available",
    "pulled image ghcr.io/argoproj/argo-rollouts@sha256:"
    "3c1f1a2b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
    "reconciled application uid=7b3e2c1a-9f4d-4e8b-a6c5-2d1f0e9b8a7c",
    'observed resourceVersion="48213977" for ExternalSecret gitea/gitea-admin',
    "secretName: gitea-admin-credentials",
    "      - secretKey: ANTHROPIC_API_KEY",
    '{"secretKey":"ANTHROPIC_API_KEY","remoteRef":{"key":"paperclip/anthropic","property":"api-key"}}',
    "passwordSecretRef: {name: grafana-admin, key: admin-password}",
    "tokenPath: /var/run/secrets/kubernetes.io/serviceaccount/token",
    'time="2026-04-16T21:10:14Z" level=info msg="Argo Rollouts starting" version=v1.8.4',
    'time="2026-04-16T21:10:14Z" level=fatal msg="Failed to download plugins: '
    'failed to download plugin argoproj-labs/cilium: response code Not Found"',
    "E0416 21:10:14.123456       1 reflector.go:138] failed to list *v1.Secret: "
    "secrets is forbidden",
    "failed to refresh token: context deadline exceeded",
    "invalid bearer token provided by client 10.0.4.17",
    "Authorization header missing; returning 401",
    "max_tokens=4096 temperature=0.2",
    "automountServiceAccountToken: false",
    "connecting to https://argocd-server.argocd.svc:443/api/v1/applications?project=default",
    "dialing postgres at postgres://db.payments:5432/app (no credentials in URL)",
    "commit 9f2c4e1d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e merged into main",
    "Secret gitea/gitea-admin-credentials created by external-secrets",
    "password_expiry_days=90 rotated by policy",
    "keyspace_hits=1024 keyspace_misses=12",
    "sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709",
    'Error: secrets "gitea-admin" not found',
    "[REDACTED] is what we print for masked values",
    "loaded 3 keys from AccountName=paymentsblob;EndpointSuffix=core.windows.net",
    "docker run -p 8080:80 -p8443:443 ghcr.io/example/api:1.0",
    "git checkout 9f2c4e1d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e && make",
    "auth: basic realm=argocd",
    "cookie policy: SameSite=Lax",
    "java.lang.IllegalStateException at AbstractSingletonProxyFactoryBean2Impl.java:42",
    "reading /var/lib/kubelet/pods/3f2c7a9e-1b4d-4c8e-9a6f-2d5b8e1c0f7a/volumes/"
    "kubernetes.io~projected",
    "name: DB_PASSWORD_FILE",
    "value: /run/secrets/db-password",
    "using mysql client 8.0.36 with -p prompt disabled",
    "signature sig=abc rejected",
)
