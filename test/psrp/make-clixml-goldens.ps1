# Writes golden CLIXML vectors made by real PowerShell to fixtures/psrp/clixml/ (one file per value).
# Run: pwsh -NoProfile -File test/psrp/make-clixml-goldens.ps1  (PowerShell 7.6.10; output committed)
$ErrorActionPreference = 'Stop'
$out = Join-Path $PSScriptRoot '../../fixtures/psrp/clixml'
New-Item -ItemType Directory -Force $out | Out-Null
$culture = [System.Globalization.CultureInfo]::InvariantCulture
[System.Threading.Thread]::CurrentThread.CurrentCulture = $culture

$err = try { Get-Item -LiteralPath '/no/such/path' -ErrorAction Stop } catch { $_ }
$stack = [System.Collections.Stack]::new(); $stack.Push(1); $stack.Push('two')
$queue = [System.Collections.Queue]::new(); $queue.Enqueue(1); $queue.Enqueue('two')
$list = [System.Collections.Generic.List[object]]::new(); $list.Add(1); $list.Add('a'); $list.Add($null)
$shared = [pscustomobject]@{ Name = 'shared' }
$xml = [xml]'<root a="1"><c>text &amp; more</c></root>'
$secure = ConvertTo-SecureString 'secret' -AsPlainText -Force
$progress = [System.Management.Automation.ProgressRecord]::new(7, 'Activity', 'Status')
$progress.PercentComplete = 42; $progress.SecondsRemaining = 10; $progress.CurrentOperation = 'op'; $progress.ParentActivityId = 3

$values = [ordered]@{
  'string'          = 'hello world'
  'string-escapes'  = "a_x0041_b`tc`r`nd`u{1}e`u{1F600}f _x g_X0041_"
  'string-empty'    = ''
  'string-spaces'   = '  lead and trail  '
  'char'            = [char]'A'
  'bool-true'       = $true
  'bool-false'      = $false
  'datetime-utc'    = [datetime]::new(2020, 1, 2, 3, 4, 5, [System.DateTimeKind]::Utc).AddTicks(1234567)
  'datetime-local'  = [datetimeoffset]::new(2021, 6, 7, 8, 9, 10, [timespan]::Zero).LocalDateTime
  'datetime-unspecified' = [datetime]::new(2019, 12, 31, 23, 59, 59, 500)
  'timespan'        = [timespan]::new(1, 2, 3, 4, 5).Add([timespan]::FromTicks(6))
  'timespan-negative' = [timespan]::FromMilliseconds(-1500)
  'timespan-zero'   = [timespan]::Zero
  'byte'            = [byte]255
  'sbyte'           = [sbyte]-128
  'uint16'          = [uint16]65535
  'int16'           = [int16]-32768
  'int32'           = [int32]-2147483648
  'uint32'          = [uint32]4294967295
  'int64'           = [int64]::MinValue
  'uint64'          = [uint64]::MaxValue
  'single'          = [single]1.5
  'double'          = [double]0.1
  'double-large'    = [double]1e300
  'double-small'    = [double]1.5e-7
  'double-inf'      = [double]::PositiveInfinity
  'double-nan'      = [double]::NaN
  'double-negzero'  = [double]-0.0
  'decimal'         = [decimal]'79228162514264337593543950335'
  'decimal-scale'   = [decimal]'-1.500'
  'bytearray'       = [byte[]](0, 1, 2, 254, 255)
  'guid'            = [guid]'0c9c5a4e-1e2f-4c7a-9b1d-2f3e4d5c6b7a'
  'uri'             = [uri]'http://example.com/a?b=c&d=e'
  'null'            = $null
  'version'         = [version]'1.2.3.4'
  'version-short'   = [version]'10.0'
  'xmldocument'     = $xml
  'scriptblock'     = { Get-Process | Where-Object { $_.Id -gt 4 } }
  'securestring'    = $secure
  'progressrecord'  = $progress
  'hashtable'       = [ordered]@{ one = 1; two = 'two'; three = $null }
  'hashtable-plain' = @{ key = 'value' }
  'hashtable-nested' = [ordered]@{ outer = [ordered]@{ inner = [ordered]@{ deep = 1 } } }
  'array'           = @(1, 'two', $true, $null, 2.5)
  'array-empty'     = @()
  'list'            = $list
  'stack'           = $stack
  'queue'           = $queue
  'enum'            = [System.ConsoleColor]::Red
  'enum-flags'      = [System.IO.FileAttributes]'ReadOnly, Hidden'
  'pscustomobject'  = [pscustomobject]@{ Name = 'n'; Count = 3; Nested = [pscustomobject]@{ X = 1 } }
  'refs'            = @($shared, $shared, [pscustomobject]@{ Again = $shared })
  'get-date'        = Get-Date
  'errorrecord'     = $err
  'psversion'       = $PSVersionTable.PSVersion
}
foreach ($name in $values.Keys) {
  $depth = if ($name -eq 'errorrecord') { 2 } else { 4 }
  $v = $values[$name]
  $text = [System.Management.Automation.PSSerializer]::Serialize($v, $depth)
  [System.IO.File]::WriteAllText((Join-Path $out "$name.xml"), $text + "`n")
}
