"""The functions a guarded query may call: an explicit allowlist, not a denylist.

Athena SQL is transpiled to DuckDB for local execution, and a function sqlglot does not know
(``exp.Anonymous``) passes through by name: DuckDB's ``read_text``, ``read_blob``, ``query``,
``current_setting`` or ``getenv`` would run. So every function node in a query must be one of
sqlglot's typed expressions for an Athena (Trino) function listed here, or an untyped call whose
name is in ``ANONYMOUS``. Names are checked as sqlglot parses them from Athena SQL; the compiler
builds the same nodes.
"""

from __future__ import annotations

from sqlglot import exp

# sqlglot expression classes for Athena functions (and the operators sqlglot models as functions).
_TYPED = """
    And Or Xor Case If Coalesce Nullif Greatest Least Cast TryCast Try Exists Extract Typeof
    Abs Acos Asin Atan Atan2 Cbrt Ceil Cos Cosh Degrees Exp Floor Ln Log Pi Pow Radians Rand
    Round Sign Sin Sinh Sqrt Tan Tanh Trunc WidthBucket IsNan IsInf
    BitwiseAnd BitwiseOr BitwiseNot BitwiseXor BitwiseCount
    Avg Count CountIf Sum Min Max ArgMin ArgMax AnyValue ApproxDistinct ApproxQuantile ArrayAgg
    LogicalAnd LogicalOr Stddev StddevPop StddevSamp Variance VariancePop Corr CovarPop CovarSamp
    RegrIntercept RegrSlope Kurtosis Skewness GroupConcat BitwiseAndAgg BitwiseOrAgg
    RowNumber Rank DenseRank PercentRank CumeDist Ntile Lag Lead FirstValue LastValue NthValue
    Concat ConcatWs Length Lower Upper Trim Pad Replace Reverse Split SplitPart StrPosition
    Substring StartsWith Chr Levenshtein RegexpExtract RegexpExtractAll RegexpLike RegexpReplace
    RegexpSplit RegexpCount Format Encode Decode Normalize Soundex
    DateTrunc TimestampTrunc DateAdd DateSub DateDiff TsOrDsAdd TsOrDsDiff TsOrDsToDate
    TimestampAdd TimestampSub TimestampDiff TimeToStr StrToTime StrToDate TimeStrToTime
    TimeStrToDate DateStrToDate FromISO8601Date FromISO8601Timestamp UnixToTime TimeToUnix
    CurrentDate CurrentTimestamp CurrentTime Localtimestamp Year Quarter Month Week WeekOfYear
    Day DayOfMonth DayOfWeek DayOfWeekIso DayOfYear Hour Minute Second YearOfWeek LastDay
    ParseDatetime Date Timestamp
    Array ArraySize ArrayContains ArrayDistinct ArrayExcept ArrayIntersect ArrayToString ArrayMax
    ArrayMin ArrayPosition ArrayRemove ArraySort Flatten GenerateSeries ArraySlice ArrayFilter
    Transform ArraySum Shuffle Unnest Explode Map MapKeys MapFromEntries Struct
    JSONExtract JSONExtractScalar JSONFormat ParseJSON JSONArrayContains
    MD5Digest MD5 SHA SHA2 SHA2Digest Hex Unhex ToBase64 FromBase64 Uuid
"""
TYPED: frozenset[type[exp.Expression]] = frozenset(
    cls for cls in (getattr(exp, name, None) for name in _TYPED.split())
    if isinstance(cls, type) and issubclass(cls, exp.Func) and cls is not exp.Anonymous)

# Athena functions sqlglot has no class for; each is pure in Athena and, where it exists, in DuckDB.
ANONYMOUS: frozenset[str] = frozenset("""
    lag lead every geometric_mean histogram map_agg codepoint hamming_distance to_iso8601
    millisecond format_datetime at_timezone with_timezone is_finite is_infinite nan infinity
    json_array_length json_size url_extract_host url_extract_path url_extract_parameter crc32
    bit_count array_union arrays_overlap map_values map_entries e
""".split())


def disallowed_function(node: exp.Func) -> str | None:
    """The function's name when a guarded query may not call it, else None."""
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        return None if name in ANONYMOUS else node.name
    if type(node) in TYPED:
        return None
    return node.sql_name().lower()
