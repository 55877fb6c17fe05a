Attribute VB_Name = "Planner"
' Ribbon callbacks of the Planner tab (customUI14.xml). Each runs one macro of planner.channels.excel.macros through
' the xlwings add-in's RunPython, called by name so the workbook needs no VBA reference to the add-in.
' Set-up: install planner with pip, then run: xlwings addin install (see the README).
Option Explicit

Sub PlannerRunAll(control As IRibbonControl)
    RunPlanner "import planner.channels.excel.macros as m; m.run_all()"
End Sub

Sub PlannerPlanReorders(control As IRibbonControl)
    RunPlanner "import planner.channels.excel.macros as m; m.plan_reorders()"
End Sub

Sub PlannerPlanNetwork(control As IRibbonControl)
    RunPlanner "import planner.channels.excel.macros as m; m.plan_network()"
End Sub

Sub PlannerPlanRounds(control As IRibbonControl)
    RunPlanner "import planner.channels.excel.macros as m; m.plan_rounds()"
End Sub

Sub PlannerRefreshKpis(control As IRibbonControl)
    RunPlanner "import planner.channels.excel.macros as m; m.refresh_kpis()"
End Sub

Sub PlannerValidate(control As IRibbonControl)
    RunPlanner "import planner.channels.excel.macros as m; m.validate()"
End Sub

Sub PlannerNewTemplate(control As IRibbonControl)
    RunPlanner "import planner.channels.excel.macros as m; m.new_template()"
End Sub

Private Sub RunPlanner(command As String)
    On Error GoTo NoAddin
    Application.Run "'xlwings.xlam'!RunPython", command
    Exit Sub
NoAddin:
    MsgBox "Planner needs Python with planner installed and the xlwings add-in. In a terminal run:" & _
           vbCrLf & vbCrLf & "    pip install <the planner folder>" & vbCrLf & "    xlwings addin install" & _
           vbCrLf & vbCrLf & "then restart Excel. (" & Err.Description & ")", vbExclamation, "Planner"
End Sub
