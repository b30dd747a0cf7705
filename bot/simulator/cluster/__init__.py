"""What a real cluster and Argo CD would hold and derive, independent of HTTP.

Object bookkeeping (`objects`: uid, resourceVersion, managedFields), the kinds the API serves
(`kinds`, `crds` from ``../data``), manifests as git renders them (`manifests`), workload and
pod states (`workloads`, `statuses`, `podlogs`), Argo CD's derived views and health checks
(`argo_views`, `argo_health`), JSON pointers and diffs (`pointers`), and the read-optimised
`index` both APIs answer from. Scenarios are built from these pieces; the servers read them.
"""
