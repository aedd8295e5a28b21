# Names and tags shared by the four role images.

locals {
  # AMI names must be unique in a region and account: the timestamp keeps a rebuild of one commit apart.
  timestamp = formatdate("YYYYMMDDhhmmss", timestamp())

  # Tags on every AMI and its snapshot; each build-level source adds Role and Name. Terraform's aws_ami lookup
  # filters on Project, Role and Version (docs/architecture.md).
  image_tags = {
    Project     = var.project
    Version     = var.version
    GitCommit   = var.git_commit
    BuiltBy     = "packer"
    BaseAMI     = "{{ .SourceAMI }}"
    BaseAMIName = "{{ .SourceAMIName }}"
  }

  # Every script runs as root with the provisioner's environment_vars; lib.sh is uploaded beside it (/tmp).
  sudo_bash = "sudo env {{ .Vars }} bash '{{ .Path }}'"

  # Where the file provisioners stage the rootfs tree, artifacts and observability files on the build instance.
  stage = "/tmp/packer-files"
}
