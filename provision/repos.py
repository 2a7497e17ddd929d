"""CentOS 7's yum repositories pointed at the vault (mirrorlist.centos.org is gone since 2024-06-30)."""

RELEASE = "7.9.2009"


def centos_base_repo(mirror: str) -> str:
    """The whole CentOS-Base.repo: base, updates and extras from the configured vault mirror."""
    base = mirror.rstrip("/")
    if not base.endswith(RELEASE):
        base = f"{base}/{RELEASE}"
    sections = []
    for repo, title in (("base", "Base"), ("updates", "Updates"), ("extras", "Extras")):
        path = "os" if repo == "base" else repo
        sections.append(
            f"[{repo}]\n"
            f"name=CentOS-7 - {title} (vault)\n"
            f"baseurl={base}/{path}/$basearch/\n"
            f"gpgcheck=1\n"
            f"gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-7\n"
            f"enabled=1\n")
    return "# Written by k8s-lab: CentOS 7 is end-of-life, its packages live in the vault.\n\n" + "\n".join(sections)
