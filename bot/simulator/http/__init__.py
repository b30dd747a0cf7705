"""The wire side of the simulator: two loopback HTTP servers and what they answer.

`server.Simulator` owns the listeners (one per API, since both live under ``/api/v1``) and
the request log tests read; `kube_api` and `argocd_api` route a request to an answer built
from the `cluster` views; `responses` serializes like the Go servers do; `selectors` and the
paging in `kube_api` follow the Kubernetes grammar; `faults` injects failures per request.
Nothing here decides what the cluster holds: that is `scenarios` (data) and `cluster` (views).
"""
