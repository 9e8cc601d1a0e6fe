"""AWS adapters: SQS, Athena, Glue, STS, IAM Identity Center, Cognito, DynamoDB, Powertools."""
