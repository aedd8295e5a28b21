# The one source all four role images start from. ami_name and tags are set per role in build.pkr.hcl: a
# build-level source block may add fields but not override them.

source "amazon-ebs" "base" {
  region        = var.region
  instance_type = var.instance_type

  # Ubuntu 24.04 LTS from Canonical's own account, newest first: never a hard-coded AMI id.
  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
      architecture        = "x86_64"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }

  # SSH with a temporary key pair and a temporary security group (opened to the caller's address only, below).
  # Packer removes its key from authorized_keys before the image is taken; cleanup.sh removes the host keys.
  communicator              = "ssh"
  ssh_username              = "ubuntu"
  ssh_timeout               = "10m"
  ssh_clear_authorized_keys = true

  # The image's snapshots are encrypted (the account's default EBS key, aws/ebs, unless kms_key_id is given):
  # Terraform encrypts the instances' volumes too, and an unencrypted AMI snapshot would hold the images'
  # software and configuration in the clear wherever it is copied or shared.
  encrypt_boot = true
  kms_key_id   = var.kms_key_id

  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = var.volume_size
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    delete_on_termination = true
  }

  run_tags = {
    Project = var.project
    Name    = "${var.project}-packer-builder"
    BuiltBy = "packer"
  }

  # ci-strip-begin: Packer 1.6.6 (test.sh's validator) predates these fields; test.sh removes this block and
  # checks that it is still here (README.md, "How it is tested").
  # The temporary security group admits SSH from the caller's public address only, not 0.0.0.0/0.
  temporary_security_group_source_public_ip = true

  # IMDSv2 only, on the build instance and (imds_support) on every instance launched from the image.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"
  # ci-strip-end
}
