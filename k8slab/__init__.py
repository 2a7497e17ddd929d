"""k8s-lab engine: the lab model, the Vagrantfile, the Vagrant driver, SSH, provisioning, checks."""
