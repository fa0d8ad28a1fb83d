Attribute VB_Name = "Qyx"
' Buttons of the Qyx ledger workbook (qyx_excel).
'
' Each button macro hands the work to Python, function qyx_excel.buttons.<name>, through xlwings'
' RunPython.
'
' Add-in ledger (default): RunPython is the xlwings add-in's, reached with Application.Run so that
' the workbook compiles even when the add-in is missing (no Tools > References entry). The macros
' try, in this order:
'   1. 'xlwings.xlam'!RunPython  - the workbook-qualified form Excel documents for Application.Run
'                                  (and the one xlwings' own Python uses);
'   2. xlwings.RunPython         - the add-in's project name and procedure;
'   3. the defined name QYX_RUNPYTHON, when the ledger has one (e.g. a renamed add-in file);
' and only then say that the add-in is missing, naming what was tried and how to set QYX_RUNPYTHON.
'
' Standalone ledger (qyx build-workbook --standalone): the builder sets QYX_STANDALONE to True; the
' workbook then carries xlwings' own module (xlwings.bas) and the macros call its RunPython directly.
'
' This file must stay ASCII: the VBA project is stored with code page 1252. Every sentence the
' user sees is read from a workbook-level defined name (QYX_MSG_*) that the workbook builder
' writes; the English fallbacks below are only shown when those names are missing.
Option Explicit

#Const QYX_STANDALONE = False

' The macros that run Python, in the order they are tried (add-in ledger).
Private Const RUN_TARGET_DOCUMENTED As String = "'xlwings.xlam'!RunPython"
Private Const RUN_TARGET_PROJECT As String = "xlwings.RunPython"
Private Const NAME_RUN_TARGET As String = "QYX_RUNPYTHON"
Private Const NAME_TITLE As String = "QYX_MSG_TITLE"
Private Const NAME_NO_ADDIN As String = "QYX_MSG_NO_ADDIN"
Private Const NAME_HOW_TO As String = "QYX_MSG_HOW_TO"
Private Const NAME_FAILED As String = "QYX_MSG_FAILED"
Private Const PY_MODULE As String = "qyx_excel.buttons"
' Application.Run raises 1004 when the macro cannot be found (add-in missing) or cannot run.
Private Const ERR_CANNOT_RUN As Long = 1004

Public Sub QyxCheckSheet()
    QyxRunPython "check_sheet"
End Sub

Public Sub QyxConsolidate()
    QyxRunPython "consolidate"
End Sub

Public Sub QyxNotice()
    QyxRunPython "notice"
End Sub

Public Sub QyxPrintTables()
    QyxRunPython "print_tables"
End Sub

Private Sub QyxRunPython(ByVal pyFunction As String)
    Dim pyCommand As String
    pyCommand = "import " & PY_MODULE & " as b; b." & pyFunction & "()"
#If QYX_STANDALONE Then
    On Error GoTo Failed
    RunPython pyCommand
    Exit Sub
Failed:
    QyxFailed Err.Number, Err.Description
#Else
    Dim targets(1 To 3) As String
    Dim i As Integer
    Dim errNumber As Long
    Dim errText As String
    Dim tried As String

    targets(1) = RUN_TARGET_DOCUMENTED
    targets(2) = RUN_TARGET_PROJECT
    targets(3) = QyxText(NAME_RUN_TARGET, "")
    For i = 1 To 3
        If Len(targets(i)) > 0 Then
            errNumber = QyxTryRun(targets(i), pyCommand, errText)
            If errNumber = 0 Then Exit Sub
            If errNumber <> ERR_CANNOT_RUN Then
                QyxFailed errNumber, errText
                Exit Sub
            End If
            tried = tried & vbLf & "  Application.Run " & targets(i) & "  (" & errText & ")"
        End If
    Next i
    MsgBox QyxText(NAME_NO_ADDIN, "The xlwings add-in was not found, so this button cannot run. Tried:") _
        & tried & vbLf & vbLf _
        & QyxText(NAME_HOW_TO, "Install the add-in (xlwings addin install), or define the name QYX_RUNPYTHON.") _
        , vbExclamation, QyxText(NAME_TITLE, "Qyx")
#End If
End Sub

' Run one target; 0 when it ran, else the error number (and its text in errText).
Private Function QyxTryRun(ByVal target As String, ByVal pyCommand As String, ByRef errText As String) As Long
    On Error GoTo Failed
    Application.Run target, pyCommand
    QyxTryRun = 0
    Exit Function
Failed:
    QyxTryRun = Err.Number
    errText = Err.Description
End Function

Private Sub QyxFailed(ByVal errNumber As Long, ByVal errText As String)
    MsgBox QyxText(NAME_FAILED, "The button failed.") _
        & vbLf & vbLf & "(" & CStr(errNumber) & ") " & errText, vbCritical, QyxText(NAME_TITLE, "Qyx")
End Sub

' Text of a workbook-level defined name: either a string constant (="...") or a reference to a cell.
Private Function QyxText(ByVal key As String, ByVal fallback As String) As String
    Dim formula As String
    Dim value As Variant

    QyxText = fallback
    On Error GoTo Done
    formula = ThisWorkbook.Names(key).RefersTo
    If Left$(formula, 2) = "=""" And Right$(formula, 1) = """" And Len(formula) > 3 Then
        value = Replace(Mid$(formula, 3, Len(formula) - 3), """""", """")
    Else
        value = ThisWorkbook.Names(key).RefersToRange.Cells(1, 1).Value
    End If
    If VarType(value) = vbString Then
        If Len(value) > 0 Then QyxText = value
    End If
Done:
End Function
