"""The GitOps loop around the stages: GitHub (PR comments, render PRs), branches, exports."""
