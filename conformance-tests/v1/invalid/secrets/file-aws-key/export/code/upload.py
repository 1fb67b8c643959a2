# code/upload.py
import boto3
s3 = boto3.client("s3", aws_access_key_id="AKIAQ3ZT7N2XK5VR8WJM")
