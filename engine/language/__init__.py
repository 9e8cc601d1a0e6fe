"""The language part of the engine: plain English -> SemanticQuery.

``understanding`` builds the interpretation from the grammar parsers (``timeparse``,
``conditions``) over the model's vocabulary (``vocabulary``, ``spelling``); ``refusal`` turns
requests to change data away before anything else reads the question.
"""
