################################################################################
# S3 bucket for the results of multi-host load tests
################################################################################

# Each load host uploads its shard's output (summary.json, latency.hlog, report.html, console.log) to
# runs/<run id>/shard-<i>/ after a run of the <project>-loadtest-run document (ssm-documents.tf); the operator's
# coordinator (scripts/aws-loadtest.sh) downloads runs/<run id>/ and merges the shards. Private and
# encrypted, reachable over TLS only, objects owned by the bucket's account, and emptied after
# var.loadtest_results_retention_days. Bucket names are global: the account and region make it unique.
resource "aws_s3_bucket" "this" {
  bucket = "${var.project}-loadtest-${data.aws_caller_identity.current.account_id}-${var.region}"
  # A demo's results: `terraform destroy` removes them too (the coordinator has already downloaded each run).
  force_destroy = true

  tags = { Name = "${var.project}-loadtest" }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: every object belongs to the bucket's account, whoever uploaded it; access is IAM and the bucket
# policy alone.
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# SSE-S3: encrypted at rest with keys S3 manages, so neither role needs KMS permissions.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-runs"
    status = "Enabled"

    filter {
      prefix = "runs/"
    }

    expiration {
      days = var.loadtest_results_retention_days
    }

    # An upload cut short (a host stopped mid-upload) leaves parts that are billed but never listed.
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# Refuses every request that does not arrive over TLS, whoever makes it (the AWS CLI uses HTTPS anyway).
data "aws_iam_policy_document" "results_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.results_bucket.json

  # S3 refuses a bucket policy while the public access block is being created.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
